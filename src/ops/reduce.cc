// Entry points of the reduction ops.
#include "ops/reduce.h"

#include "ops/dispatch.h"

namespace moemt::ops {

double sum(const Tensor& x) {
  MOEMT_CHECK(x.dtype() == DType::f32, "sum needs f32, got {}", dtype_name(x.dtype()));
  MOEMT_DISPATCH(x.device(), sum, x);
}

double sum_squares(const Tensor& x) {
  MOEMT_CHECK(x.dtype() == DType::f32, "sum_squares needs f32, got {}", dtype_name(x.dtype()));
  MOEMT_DISPATCH(x.device(), sum_squares, x);
}

void row_sum(const Tensor& x, Tensor& out) {
  MOEMT_CHECK(x.dtype() == DType::f32 && out.dtype() == DType::f32, "row_sum needs f32");
  MOEMT_CHECK(out.numel() == x.shape().rows(), "row_sum: x {} out {}", x.shape().str(),
              out.shape().str());
  MOEMT_DISPATCH(same_device(x, out), row_sum, x, out);
}

}  // namespace moemt::ops
