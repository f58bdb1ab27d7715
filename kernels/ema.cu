// CUDA moving average: one element per thread with the CPU's update (ops/math/ema.h).
#include "ema.cuh"
#include "launch.cuh"
#include "ops/math/ema.h"

namespace moemt::kernels {

namespace {

__global__ void ema_kernel(float* avg, const float* w, int64_t n, float decay) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    ops::math::ema_update(avg[i], w[i], decay);
}

}  // namespace

void launch_ema_update(float* avg, const float* w, int64_t n, float decay, int device,
                       void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  ema_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(avg, w, n, decay);
  check_launch("ema_update");
}

}  // namespace moemt::kernels
