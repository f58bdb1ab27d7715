// CUDA accumulate_f64: one element per thread, the CPU's formula (acc += scale * double(x)).
#include "accumulate.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

__global__ void accumulate_kernel(double* acc, const float* xf, const double* xd, int64_t n,
                                  double scale) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    acc[i] += scale * (xd ? xd[i] : static_cast<double>(xf[i]));
}

}  // namespace

void launch_accumulate_f64(double* acc, const float* x_f32, const double* x_f64, int64_t n,
                           double scale, int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  accumulate_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      acc, x_f32, x_f64, n, scale);
  check_launch("accumulate_f64");
}

}  // namespace moemt::kernels
