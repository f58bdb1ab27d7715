// CUDA log-softmax: one block per row; the exps are summed in double (as the CPU's runs added
// into double), with deterministic block reductions.
#include <cfloat>

#include "block_reduce.cuh"
#include "launch.cuh"
#include "log_softmax.cuh"

namespace moemt::kernels {

namespace {

__global__ void log_softmax_kernel(const float* x, float* y, int64_t cols) {
  __shared__ float fsm[32];
  __shared__ double dsm[32];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  float m = -FLT_MAX;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, xr[j]);
  m = block_max(m, fsm, -FLT_MAX);
  double s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += expf(xr[j] - m);
  s = block_sum(s, dsm);  // syncs before y (which may alias x) is written
  const float lse = m + static_cast<float>(log(s));
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = xr[j] - lse;
}

}  // namespace

void launch_log_softmax(const float* x, float* y, int64_t rows, int64_t cols, int device,
                        void* stream) {
  if (rows == 0 || cols == 0) return;
  cudaSetDevice(device);
  log_softmax_kernel<<<row_blocks(rows), row_threads(cols), 0, static_cast<cudaStream_t>(stream)>>>(
      x, y, cols);
  check_launch("log_softmax");
}

}  // namespace moemt::kernels
