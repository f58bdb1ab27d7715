// CUDA cast between f32, bf16 and f16: one thread per element, the same conversion functions
// as the CPU (ops/math/convert.h), so both backends round identically.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cast.cuh"
#include "ops/math/convert.h"

namespace moemt::kernels {

namespace {

constexpr int kBf16 = 1, kF16 = 2;  // DType values; anything else is f32

__device__ inline float load(const void* p, int t, int64_t i) {
  if (t == kBf16) return math::bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
  if (t == kF16) return math::f16_to_f32(static_cast<const uint16_t*>(p)[i]);
  return static_cast<const float*>(p)[i];
}

__device__ inline void store(void* p, int t, int64_t i, float v) {
  if (t == kBf16) static_cast<uint16_t*>(p)[i] = math::f32_to_bf16(v);
  else if (t == kF16) static_cast<uint16_t*>(p)[i] = math::f32_to_f16(v);
  else static_cast<float*>(p)[i] = v;
}

__global__ void cast_kernel(const void* x, int xt, void* y, int yt, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    store(y, yt, i, load(x, xt, i));
}

}  // namespace

void launch_cast(const void* x, int x_type, void* y, int y_type, int64_t n, int device,
                 void* stream) {
  cudaSetDevice(device);
  const int threads = 256;
  const int64_t blocks = (n + threads - 1) / threads;
  cast_kernel<<<static_cast<unsigned>(blocks < 65535 * 8 ? blocks : 65535 * 8), threads, 0,
                static_cast<cudaStream_t>(stream)>>>(x, x_type, y, y_type, n);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("cast kernel: ") + cudaGetErrorString(e));
}

}  // namespace moemt::kernels
