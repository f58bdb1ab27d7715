// Entry point of the reverse_sequence op.
#include "ops/reverse_sequence.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "reverse_sequence.cuh"
#endif

namespace moemt::ops {

void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y) {
  const Device dev = compute_device("reverse_sequence", kF32Only, x, y);
  expect_dtype("reverse_sequence", "lengths", lengths, DType::i32);
  same_device(x, lengths);
  MOEMT_CHECK(x.rank() == 3 && y.shape() == x.shape(),
              "reverse_sequence: x {} y {}, expected equal (B,T,D)", x.shape().str(),
              y.shape().str());
  MOEMT_CHECK(lengths.numel() == x.size(0), "reverse_sequence: lengths {} for batch {}",
              lengths.shape().str(), x.size(0));
  MOEMT_CHECK(x.raw() != y.raw() || x.numel() == 0, "reverse_sequence: y aliases x");
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(dev, reverse_sequence, x, lengths, y);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y) {
  kernels::launch_reverse_sequence(x.data<float>(), lengths.data<int32_t>(), y.data<float>(),
                                   x.size(0), x.size(1), x.size(2), x.device().index,
                                   current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
