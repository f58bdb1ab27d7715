// CUDA row top-k: one thread per row with the CPU's insertion (ops/math/topk.h: largest first,
// the earlier index on ties), so routing plans agree exactly. Right for router rows (E <= a
// few hundred experts); a vocabulary-wide beam top-k would want a block per row.
#include "launch.cuh"
#include "ops/math/topk.h"
#include "topk.cuh"

namespace moemt::kernels {

namespace {

__global__ void topk_kernel(const float* x, int64_t n, int64_t e, int k, float* v, int32_t* id) {
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < n;
       r += static_cast<int64_t>(gridDim.x) * blockDim.x)
    math::topk_row(x + r * e, e, k, v + r * k, id + r * k);
}

}  // namespace

void launch_topk(const float* x, int64_t n, int64_t e, int k, float* values, int32_t* indices,
                 int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  topk_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, n, e, k, values,
                                                                                 indices);
  check_launch("topk");
}

}  // namespace moemt::kernels
