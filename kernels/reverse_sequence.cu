// CUDA reverse_sequence: one output element per thread (a permutation with zero padding).
#include "launch.cuh"
#include "reverse_sequence.cuh"

namespace moemt::kernels {

namespace {

__global__ void reverse_kernel(const float* x, const int32_t* lengths, float* y, int64_t t,
                               int64_t d, int64_t total) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = o % d, s = (o / d) % t, i = o / d / t;
    int64_t n = lengths[i];
    n = n < 0 ? 0 : (n > t ? t : n);
    y[o] = s < n ? x[(i * t + (n - 1 - s)) * d + c] : 0.f;
  }
}

}  // namespace

void launch_reverse_sequence(const float* x, const int32_t* lengths, float* y, int64_t b, int64_t t,
                             int64_t d, int device, void* stream) {
  const int64_t total = b * t * d;
  if (total == 0) return;
  cudaSetDevice(device);
  reverse_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, lengths, y, t, d, total);
  check_launch("reverse_sequence");
}

}  // namespace moemt::kernels
