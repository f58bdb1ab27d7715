// Row-wise top-k kernels shared by ops::topk and ops::beam_topk, with the CPU's order (largest
// first, the earlier index on ties; ops/math/topk.h). `Rows` maps a row index to a column loader
// (math::RowLoad, math::BeamLoad), so the ranked value can be a sum formed on the fly.
// Narrow rows (router logits, E up to a few hundred) take one thread per row and the CPU's
// insertion itself. Wide rows (a vocabulary in beam search) take a block per row: each thread
// keeps the top k of its strided share of the row by the same insertion, then k rounds pick the
// best head among the threads by (value desc, index asc) — the order the insertion implies, so
// the result is the CPU's exactly.
#pragma once

#include <climits>

#include "launch.cuh"
#include "ops/math/topk.h"

namespace moemt::kernels::topk_rows {

constexpr int kBlockThreads = 128;
constexpr int kMaxBlockK = 32;      // per-thread lists live in shared memory: 128 * 32 * 8 bytes
constexpr int64_t kWideRow = 1024;  // columns from which a row gets a block

template <typename Rows>
__global__ void thread_per_row(Rows rows, int64_t n, int64_t e, int k, float* v, int32_t* id) {
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < n;
       r += static_cast<int64_t>(gridDim.x) * blockDim.x)
    math::topk_row_of(rows(r), e, k, v + r * k, id + r * k);
}

__device__ inline bool better(float av, int32_t ai, float bv, int32_t bi) {
  return av > bv || (av == bv && ai < bi);
}

template <typename Rows>
__global__ void block_per_row(Rows rows, int64_t e, int k, float* out_v, int32_t* out_id) {
  __shared__ float lv[kBlockThreads * kMaxBlockK];
  __shared__ int32_t li[kBlockThreads * kMaxBlockK];
  __shared__ float wv[kBlockThreads / 32];
  __shared__ int32_t wi[kBlockThreads / 32];
  __shared__ int wt[kBlockThreads / 32];
  __shared__ int winner;
  const auto load = rows(blockIdx.x);
  float* v = lv + threadIdx.x * k;
  int32_t* id = li + threadIdx.x * k;
  // This thread's share (columns threadIdx.x + m * blockDim), by the CPU's insertion.
  const int filled = math::topk_strided_of(load, threadIdx.x, e, blockDim.x, k, v, id);
  // k rounds: the best head among the threads goes out, its thread moves to its next entry.
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int head = 0;
  for (int r = 0; r < k; ++r) {
    float bv = head < filled ? v[head] : -INFINITY;
    int32_t bi = head < filled ? id[head] : INT_MAX;  // an empty list loses every tie
    int bt = threadIdx.x;
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_down_sync(0xffffffffu, bv, o);
      const int32_t oi = __shfl_down_sync(0xffffffffu, bi, o);
      const int ot = __shfl_down_sync(0xffffffffu, bt, o);
      if (better(ov, oi, bv, bi)) bv = ov, bi = oi, bt = ot;
    }
    if (lane == 0) wv[warp] = bv, wi[warp] = bi, wt[warp] = bt;
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int w = 1; w < kBlockThreads / 32; ++w)
        if (better(wv[w], wi[w], wv[0], wi[0])) wv[0] = wv[w], wi[0] = wi[w], wt[0] = wt[w];
      out_v[blockIdx.x * static_cast<int64_t>(k) + r] = wv[0];
      out_id[blockIdx.x * static_cast<int64_t>(k) + r] = wi[0];
      winner = wt[0];
    }
    __syncthreads();
    if (threadIdx.x == winner) ++head;
    __syncthreads();  // winner is rewritten next round
  }
}

// Top-k of n rows of e columns: values (n, k), indices (n, k).
template <typename Rows>
void launch(const char* name, Rows rows, int64_t n, int64_t e, int k, float* values,
            int32_t* indices, int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (e >= kWideRow && k <= kMaxBlockK)
    block_per_row<<<static_cast<unsigned>(n), kBlockThreads, 0, s>>>(rows, e, k, values, indices);
  else
    thread_per_row<<<blocks_for(n), kThreads, 0, s>>>(rows, n, e, k, values, indices);
  check_launch(name);
}

}  // namespace moemt::kernels::topk_rows
