// CPU moving average: static per-thread shares, each a vectorised loop over the shared element
// update (memory-bound, like Adam).
#include "core/simd.h"
#include "ops/ema.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kChunk = 1 << 16;  // elements per thread at least: threads cost more below

MOEMT_SIMD_CLONES void ema_loop(float* __restrict avg, const float* __restrict w, int64_t n,
                                float decay) {
  for (int64_t i = 0; i < n; ++i) math::ema_update(avg[i], w[i], decay);
}
}  // namespace

void ema_update(Tensor& avg, const Tensor& param, float decay) {
  float* pa = avg.data<float>();
  const float* pw = param.data<float>();
  parallel_chunks(avg.numel(), kChunk,
                  [&](int, int64_t lo, int64_t hi) { ema_loop(pa + lo, pw + lo, hi - lo, decay); });
}

}  // namespace moemt::ops::cpu
