// Entry points of the cross-entropy ops: checks, then one device kernel for all three forms.
#include "ops/cross_entropy.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
CrossEntropyStats run(const Tensor& logits, const Tensor& targets, float smoothing,
                      int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& row_loss) {
  MOEMT_CHECK(logits.dtype() == DType::f32 && logits.rank() >= 1, "cross_entropy: logits {} {}",
              logits.shape().str(), dtype_name(logits.dtype()));
  MOEMT_CHECK(targets.dtype() == DType::i32 && targets.numel() == logits.shape().rows(),
              "cross_entropy: targets {} for logits {}", targets.shape().str(),
              logits.shape().str());
  MOEMT_CHECK(smoothing >= 0.f && smoothing < 1.f, "label smoothing {} not in [0, 1)", smoothing);
  same_device(logits, targets);
  if (dlogits.defined()) {
    MOEMT_CHECK(dlogits.dtype() == DType::f32 && dlogits.numel() == logits.numel(),
                "cross_entropy: dlogits {} for logits {}", dlogits.shape().str(),
                logits.shape().str());
    same_device(logits, dlogits);
  }
  if (row_loss.defined()) {
    MOEMT_CHECK(row_loss.dtype() == DType::f32 && row_loss.numel() == targets.numel(),
                "cross_entropy: row_loss {} for {} rows", row_loss.shape().str(), targets.numel());
    same_device(logits, row_loss);
  }
  MOEMT_DISPATCH(logits.device(), cross_entropy, logits, targets, smoothing, ignore_index,
                 grad_scale, dlogits, row_loss);
}
}  // namespace

CrossEntropyStats cross_entropy_forward(const Tensor& logits, const Tensor& targets,
                                        float smoothing, int32_t ignore_index, Tensor& row_loss) {
  Tensor none;
  return run(logits, targets, smoothing, ignore_index, 0.f, none, row_loss);
}

CrossEntropyStats cross_entropy_fused(const Tensor& logits, const Tensor& targets, float smoothing,
                                      int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                      Tensor& row_loss) {
  MOEMT_CHECK(dlogits.defined(), "cross_entropy_fused needs a dlogits tensor");
  return run(logits, targets, smoothing, ignore_index, grad_scale, dlogits, row_loss);
}

void cross_entropy_backward(const Tensor& logits, const Tensor& targets, float smoothing,
                            int32_t ignore_index, float grad_scale, Tensor& dlogits) {
  MOEMT_CHECK(dlogits.defined(), "cross_entropy_backward needs a dlogits tensor");
  Tensor none;
  run(logits, targets, smoothing, ignore_index, grad_scale, dlogits, none);
}

}  // namespace moemt::ops
