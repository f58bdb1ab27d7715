// Entry points of the reduction ops.
#include "ops/reduce.h"

#include "ops/dispatch.h"

namespace moemt::ops {

double sum(const Tensor& x) { MOEMT_DISPATCH(compute_device("sum", kF32Only, x), sum, x); }

double sum_squares(const Tensor& x) {
  MOEMT_DISPATCH(compute_device("sum_squares", kF32Only, x), sum_squares, x);
}

void row_sum(const Tensor& x, Tensor& out) {
  const Device dev = compute_device("row_sum", kF32Only, x, out);
  MOEMT_CHECK(out.numel() == x.shape().rows(), "row_sum: x {} out {}", x.shape().str(),
              out.shape().str());
  MOEMT_DISPATCH(dev, row_sum, x, out);
}

}  // namespace moemt::ops
