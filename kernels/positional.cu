// CUDA positional table: one entry per thread with the CPU's formula (ops/math/positional.h),
// in double and rounded once, so both tables agree to the last bit up to the libm's sin/cos.
#include "launch.cuh"
#include "ops/math/positional.h"
#include "positional.cuh"

namespace moemt::kernels {

namespace {

__global__ void positional_kernel(float* table, int64_t dim, int64_t first_pos, double log_step,
                                  int64_t total) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x)
    table[o] = ops::math::positional_value(first_pos + o / dim, o % dim, dim, log_step);
}

}  // namespace

void launch_sinusoidal_positions(float* table, int64_t n, int64_t dim, int64_t first_pos,
                                 int device, void* stream) {
  const int64_t total = n * dim;
  if (total == 0) return;
  cudaSetDevice(device);
  positional_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      table, dim, first_pos, ops::math::positional_log_step(dim / 2), total);
  check_launch("sinusoidal_positions");
}

}  // namespace moemt::kernels
