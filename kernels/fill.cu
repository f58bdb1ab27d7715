// CUDA fill: a grid-stride loop writing one value (zeroing any dtype is a memset in core).
#include "fill.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {
__global__ void fill_kernel(float* x, float value, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] = value;
}
}  // namespace

void launch_fill(float* x, float value, int64_t n, int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  fill_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, value, n);
  check_launch("fill");
}

}  // namespace moemt::kernels
