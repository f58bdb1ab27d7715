// Entry point of the top-k op: shape checks, then device dispatch.
#include "ops/topk.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) {
  const Device dev = compute_device("topk", kF32Only, x, values);
  expect_dtype("topk", "indices", indices, DType::i32);
  same_device(x, indices);
  int64_t n = x.shape().rows(), e = x.shape().cols();
  MOEMT_CHECK(k >= 1 && k <= e, "topk k={} for {} columns", k, e);
  MOEMT_CHECK(values.shape().rows() == n && values.shape().cols() == k, "topk values {}",
              values.shape().str());
  MOEMT_CHECK(indices.shape().rows() == n && indices.shape().cols() == k, "topk indices {}",
              indices.shape().str());
  MOEMT_DISPATCH(dev, topk, x, k, values, indices);
}

}  // namespace moemt::ops
