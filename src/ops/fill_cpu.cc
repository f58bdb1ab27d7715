// CPU fills: memory-bound loops split into static per-thread shares.
#include <algorithm>
#include <cstring>

#include "core/simd.h"
#include "ops/fill.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kChunk = 1 << 16;  // elements per thread at least: threads cost more below
}

void fill(Tensor& x, float value) {
  float* p = x.data<float>();
  parallel_chunks(x.numel(), kChunk,
                  [&](int, int64_t lo, int64_t hi) { std::fill(p + lo, p + hi, value); });
}

void zero(Tensor& x) {
  // One memset, the same primitive as core's Tensor::zero (ParamStore::zero_grad's pass), so
  // both zero memory at the same speed.
  std::memset(x.raw(), 0, x.nbytes());
}

}  // namespace moemt::ops::cpu
