// CUDA Adam(W): one element per thread with the CPU's update (ops/math/adam.h).
#include "adam.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

__global__ void adam_kernel(float* w, const float* g, float* m, float* v, int64_t n,
                            ops::math::AdamCoeffs c) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    ops::math::adam_update(w[i], g[i], m[i], v[i], c);
}

}  // namespace

void launch_adam_step(float* w, const float* g, float* m, float* v, int64_t n,
                      ops::math::AdamCoeffs c, int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  adam_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(w, g, m, v, n, c);
  check_launch("adam_step");
}

}  // namespace moemt::kernels
