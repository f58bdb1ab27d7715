// Deterministic block-wide reductions for the row kernels (softmax, layer norm, losses): a fixed
// shuffle tree inside each warp, then the warps' partials in warp order, so for a given block
// size the result never depends on scheduling. blockDim.x must be a multiple of 32 (<= 1024).
#pragma once

#include <cuda_runtime.h>

namespace moemt::kernels {

template <typename T>
__device__ inline T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <typename T>
__device__ inline T warp_max(T v) {
  for (int o = 16; o > 0; o >>= 1) {
    T w = __shfl_xor_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}

// Sum over the block, returned to every thread. `smem` holds 32 T; the call syncs the block, so
// it may be called repeatedly with the same buffer.
template <typename T>
__device__ inline T block_sum(T v, T* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // the previous call's readers are done with smem
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  return warp_sum(lane < warps ? smem[lane] : T(0));
}

template <typename T>
__device__ inline T block_max(T v, T* smem, T lowest) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  return warp_max(lane < warps ? smem[lane] : lowest);
}

// Threads for a block that walks a row of `n` elements: a multiple of 32, at most 1024.
inline unsigned row_threads(long long n) {
  long long t = (n + 31) / 32 * 32;
  return static_cast<unsigned>(t < 32 ? 32 : (t > 1024 ? 1024 : t));
}

// Grid of one block per row (rows may exceed the 65535 limit of y and z, not of x).
inline unsigned row_blocks(long long rows) { return static_cast<unsigned>(rows); }

}  // namespace moemt::kernels
