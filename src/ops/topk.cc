// Entry point of the top-k op: shape checks, then device dispatch.
#include "ops/topk.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "topk.cuh"
#endif

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

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) {
  kernels::launch_topk(x.data<float>(), x.shape().rows(), x.shape().cols(), k,
                       values.data<float>(), indices.data<int32_t>(), x.device().index,
                       current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
