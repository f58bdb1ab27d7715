// CPU cast loops over the shared conversion functions (ops/math/convert.h).
#include <cstring>

#include "ops/cast.h"
#include "ops/math/convert.h"

namespace moemt::ops::cpu {

namespace {
float load(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::bf16: return math::bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::f16: return math::f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}
void store(void* p, DType t, int64_t i, float v) {
  switch (t) {
    case DType::bf16: static_cast<uint16_t*>(p)[i] = math::f32_to_bf16(v); break;
    case DType::f16: static_cast<uint16_t*>(p)[i] = math::f32_to_f16(v); break;
    default: static_cast<float*>(p)[i] = v;
  }
}
}  // namespace

void cast(const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  if (x.dtype() == y.dtype()) {
    if (x.raw() != y.raw()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return;
  }
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) store(y.raw(), y.dtype(), i, load(x.raw(), x.dtype(), i));
}

}  // namespace moemt::ops::cpu
