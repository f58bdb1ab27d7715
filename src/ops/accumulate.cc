// Entry point of accumulate_f64: checks, then device dispatch.
#include "ops/accumulate.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void accumulate_f64(Tensor& acc, const Tensor& x, double scale) {
  // x is the compute tensor (f32, or f64 sums); acc is always f64.
  constexpr uint32_t kBits = dtype_bit(DType::f32) | dtype_bit(DType::f64);
  compute_device("accumulate_f64", DTypeSupport{kBits, kBits}, x);
  expect_dtype("accumulate_f64", "acc", acc, DType::f64);
  MOEMT_CHECK(acc.numel() == x.numel(), "accumulate_f64: acc {} x {}", acc.shape().str(),
              x.shape().str());
  if (acc.numel() == 0) return;
  MOEMT_DISPATCH(same_device(x, acc), accumulate_f64, acc, x, scale);
}

}  // namespace moemt::ops
