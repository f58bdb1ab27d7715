// CPU dropout. Random words are drawn one Philox block (4 words) at a time, which yields
// exactly rng.uniform(i) for every i (RngStream::bits uses word i & 3 of block i >> 2); the
// keep decision is ops/math/dropout.h.
#include <algorithm>
#include <cstring>

#include "core/simd.h"
#include "ops/dropout.h"
#include "ops/math/dropout.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kChunk = 4096;  // elements per parallel task (a multiple of 4)

// out[4 b + w] = keep_scale or 0 from word w of Philox block first_block + b, for b in
// [0, blocks): a loop over independent blocks, which the AVX-512/AVX2 clones run 16/8 blocks
// at a time (the 32x32->64-bit products map onto vpmuludq).
MOEMT_SIMD_CLONES void mask_blocks(uint64_t seed, uint64_t stream, uint64_t first_block,
                                   int64_t blocks, uint32_t thr, float keep_scale, float* out) {
#pragma omp simd
  for (int64_t b = 0; b < blocks; ++b) {
    uint32_t w0, w1, w2, w3;
    philox4x32(seed, stream, first_block + static_cast<uint64_t>(b), w0, w1, w2, w3);
    out[4 * b + 0] = math::dropout_multiplier(w0, thr, keep_scale);
    out[4 * b + 1] = math::dropout_multiplier(w1, thr, keep_scale);
    out[4 * b + 2] = math::dropout_multiplier(w2, thr, keep_scale);
    out[4 * b + 3] = math::dropout_multiplier(w3, thr, keep_scale);
  }
}

// Calls f(i, multiplier) for every element i in [0, n), multiplier 0 or 1/(1-p).
template <typename F>
void for_each_mask(int64_t n, float p, RngStream rng, F&& f) {
  const float keep_scale = 1.f / (1.f - p);
  const uint32_t thr = math::dropout_threshold(p);
  int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (nchunks > 1)
  for (int64_t ch = 0; ch < nchunks; ++ch) {
    int64_t i0 = ch * kChunk, i1 = std::min(n, i0 + kChunk);
    alignas(64) float mask[kChunk];
    mask_blocks(rng.seed, rng.stream, static_cast<uint64_t>(i0) >> 2, (i1 - i0 + 3) / 4, thr,
                keep_scale, mask);
    for (int64_t i = i0; i < i1; ++i) f(i, mask[i - i0]);
  }
}
}  // namespace

void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask) {
  const float* px = x.data<float>();
  float* py = y.data<float>();
  float* pm = mask.defined() ? mask.data<float>() : nullptr;
  int64_t n = x.numel();
  if (p == 0.f) {
    if (py != px) std::memcpy(py, px, static_cast<size_t>(n) * sizeof(float));
    if (pm) std::fill(pm, pm + n, 1.f);
    return;
  }
  if (pm) {
    for_each_mask(n, p, rng, [&](int64_t i, float s) {
      pm[i] = s;
      py[i] = px[i] * s;
    });
  } else {
    for_each_mask(n, p, rng, [&](int64_t i, float s) { py[i] = px[i] * s; });
  }
}

void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx) {
  const float* pdy = dy.data<float>();
  const float* pm = mask.data<float>();
  float* pdx = dx.data<float>();
  int64_t n = dy.numel();
#pragma omp parallel for simd schedule(static) if (n > (1 << 15))
  for (int64_t i = 0; i < n; ++i) pdx[i] = pdy[i] * pm[i];
}

void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx) {
  const float* pdy = dy.data<float>();
  float* pdx = dx.data<float>();
  int64_t n = dy.numel();
  if (p == 0.f) {
    if (pdx != pdy) std::memcpy(pdx, pdy, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  for_each_mask(n, p, rng, [&](int64_t i, float s) { pdx[i] = pdy[i] * s; });
}

}  // namespace moemt::ops::cpu
