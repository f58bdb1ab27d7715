// CUDA masked softmax: one block per row, deterministic block reductions (block_reduce.cuh).
// Both masks hide a suffix of the keys, so each row has a limit of visible keys, as on the CPU.
#include <cfloat>

#include "block_reduce.cuh"
#include "launch.cuh"
#include "softmax.cuh"

namespace moemt::kernels {

namespace {

__global__ void softmax_forward_kernel(const float* x, float* y, int64_t cols, int64_t tq,
                                       const int32_t* lens, int64_t heads, bool causal,
                                       int64_t offset) {
  __shared__ float smem[32];
  const int64_t r = blockIdx.x;
  int64_t limit = cols;
  if (lens) {
    const int64_t l = lens[r / tq / heads];
    limit = l < limit ? (l > 0 ? l : 0) : limit;
  }
  if (causal) {
    const int64_t c = r % tq + offset + 1;
    limit = c < limit ? (c > 0 ? c : 0) : limit;
  }
  const float* xr = x + r * cols;
  float* yr = y + r * cols;
  float m = -FLT_MAX;
  for (int64_t j = threadIdx.x; j < limit; j += blockDim.x) m = fmaxf(m, xr[j]);
  m = block_max(m, smem, -FLT_MAX);
  float s = 0.f;
  for (int64_t j = threadIdx.x; j < limit; j += blockDim.x) s += expf(xr[j] - m);
  s = block_sum(s, smem);
  const float inv = limit > 0 ? 1.f / s : 0.f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
    yr[j] = j < limit ? expf(xr[j] - m) * inv : 0.f;
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t cols) {
  __shared__ float smem[32];
  const int64_t r = blockIdx.x;
  const float* yr = y + r * cols;
  const float* gr = dy + r * cols;
  float* dr = dx + r * cols;
  float s = 0.f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += gr[j] * yr[j];
  s = block_sum(s, smem);  // syncs: every dy is read before dx (which may alias it) is written
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) dr[j] = yr[j] * (gr[j] - s);
}

}  // namespace

void launch_softmax_forward(const float* x, float* y, int64_t rows, int64_t cols, int64_t tq,
                            const int32_t* key_lengths, int64_t heads, bool causal,
                            int64_t causal_offset, int device, void* stream) {
  if (rows == 0 || cols == 0) return;
  cudaSetDevice(device);
  softmax_forward_kernel<<<row_blocks(rows), row_threads(cols), 0,
                           static_cast<cudaStream_t>(stream)>>>(x, y, cols, tq, key_lengths, heads,
                                                                causal, causal_offset);
  check_launch("softmax_forward");
}

void launch_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                             int device, void* stream) {
  if (rows == 0 || cols == 0) return;
  cudaSetDevice(device);
  softmax_backward_kernel<<<row_blocks(rows), row_threads(cols), 0,
                            static_cast<cudaStream_t>(stream)>>>(y, dy, dx, cols);
  check_launch("softmax_backward");
}

}  // namespace moemt::kernels
