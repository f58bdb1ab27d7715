// Entry points of the fill ops.
#include "ops/fill.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void fill(Tensor& x, float value) {
  MOEMT_CHECK(x.dtype() == DType::f32, "fill: tensor is {}, expected f32", dtype_name(x.dtype()));
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(x.device(), fill, x, value);
}

void zero(Tensor& x) {
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(x.device(), zero, x);
}

}  // namespace moemt::ops
