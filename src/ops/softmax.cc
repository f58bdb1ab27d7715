// Entry points of the softmax ops: shape checks, then device dispatch.
#include "ops/softmax.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "softmax.cuh"
#endif

namespace moemt::ops {

void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask) {
  const Device dev = compute_device("softmax_forward", kF32Only, x, y);
  MOEMT_CHECK(x.shape() == y.shape(), "softmax shapes {} {}", x.shape().str(), y.shape().str());
  MOEMT_CHECK(x.rank() >= 1, "softmax of a scalar");
  if (mask.any())
    MOEMT_CHECK(x.rank() == 3, "masked softmax wants (B*H,Tq,Tk), got {}", x.shape().str());
  if (mask.key_lengths.defined()) {
    const Tensor& kl = mask.key_lengths;
    expect_dtype("softmax_forward", "key_lengths", kl, DType::i32);
    MOEMT_CHECK(kl.rank() == 1, "key_lengths must be (B), got {}", kl.shape().str());
    MOEMT_CHECK(kl.size(0) > 0 && x.size(0) % kl.size(0) == 0,
                "scores {} do not split into {} batch items", x.shape().str(), kl.size(0));
    same_device(x, kl);
  }
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(dev, softmax_forward, x, y, mask);
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  const Device dev = compute_device("softmax_backward", kF32Only, y, dy, dx);
  MOEMT_CHECK(y.shape() == dy.shape() && y.shape() == dx.shape(),
              "softmax_backward shapes {} {} {}", y.shape().str(), dy.shape().str(),
              dx.shape().str());
  if (y.numel() == 0) return;
  MOEMT_DISPATCH(dev, softmax_backward, y, dy, dx);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/softmax.cu on the device's current stream.
namespace cuda {
void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask) {
  const int64_t cols = x.shape().cols(), rows = x.numel() / cols;
  const bool lens = mask.key_lengths.defined();
  kernels::launch_softmax_forward(
      x.data<float>(), y.data<float>(), rows, cols, mask.any() ? x.size(1) : 1,
      lens ? mask.key_lengths.data<int32_t>() : nullptr,
      lens ? x.size(0) / mask.key_lengths.size(0) : 1, mask.causal, mask.causal_offset,
      x.device().index, current_stream(x.device()).handle);
}
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  const int64_t cols = y.shape().cols();
  kernels::launch_softmax_backward(y.data<float>(), dy.data<float>(), dx.data<float>(),
                                   y.numel() / cols, cols, y.device().index,
                                   current_stream(y.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
