// CPU Adam: static per-thread shares, each a vectorised loop (AVX-512/AVX2 clones) over the
// shared element update.
#include "core/simd.h"
#include "ops/adam.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kChunk = 1 << 16;  // elements per thread at least: memory-bound loop

MOEMT_SIMD_CLONES void adam_update(float* __restrict w, const float* __restrict g,
                                   float* __restrict m, float* __restrict v, int64_t n,
                                   math::AdamCoeffs c) {
  for (int64_t i = 0; i < n; ++i) math::adam_update(w[i], g[i], m[i], v[i], c);
}
}  // namespace

void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamCoeffs& c) {
  float* pw = param.data<float>();
  const float* pg = grad.data<float>();
  float* pm = m.data<float>();
  float* pv = v.data<float>();
  parallel_chunks(param.numel(), kChunk, [&](int, int64_t lo, int64_t hi) {
    adam_update(pw + lo, pg + lo, pm + lo, pv + lo, hi - lo, c);
  });
}

}  // namespace moemt::ops::cpu
