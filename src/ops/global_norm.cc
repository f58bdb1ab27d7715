// Entry point of the global norm op.
#include "ops/global_norm.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void global_norm_sq(const Tensor& g, Tensor& out) {
  const Device dev = compute_device("global_norm_sq", kF32Only, g);
  expect_dtype("global_norm_sq", "out", out, DType::f64);
  MOEMT_CHECK(out.numel() == 1, "global_norm_sq: out is {}, expected one f64", out.shape().str());
  same_device(g, out);
  MOEMT_DISPATCH(dev, global_norm_sq, g, out);
}

}  // namespace moemt::ops
