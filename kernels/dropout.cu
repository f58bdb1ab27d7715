// CUDA dropout: one thread per Philox block of four elements, the keep decision from
// ops/math/dropout.h and the words from core/philox.h, both shared with the CPU loop.
#include "core/philox.h"
#include "dropout.cuh"
#include "launch.cuh"
#include "ops/math/dropout.h"

namespace moemt::kernels {

namespace {

__global__ void dropout_kernel(const float* x, uint64_t seed, uint64_t rs, uint32_t thr,
                               float keep_scale, float* y, float* mask, int64_t n) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < blocks;
       b += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    philox4x32(seed, rs, static_cast<uint64_t>(b), w[0], w[1], w[2], w[3]);
    for (int k = 0; k < 4; ++k) {
      const int64_t i = 4 * b + k;
      if (i >= n) break;
      const float s = ops::math::dropout_multiplier(w[k], thr, keep_scale);
      if (mask) mask[i] = s;
      y[i] = x[i] * s;
    }
  }
}

}  // namespace

void launch_dropout_forward(const float* x, float p, uint64_t seed, uint64_t rng_stream, float* y,
                            float* mask, int64_t n, int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  dropout_kernel<<<blocks_for((n + 3) / 4), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, seed, rng_stream, ops::math::dropout_threshold(p), 1.f / (1.f - p), y, mask, n);
  check_launch("dropout");
}

}  // namespace moemt::kernels
