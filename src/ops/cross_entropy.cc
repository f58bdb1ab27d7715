// Entry points of the cross-entropy ops: checks, then one device kernel for all three forms.
#include "ops/cross_entropy.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "cross_entropy.cuh"
#endif

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

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrapper of kernels/cross_entropy.cu. The statistics come back to the host in one
// copy (the op's contract returns them), which waits for the device.
namespace cuda {
CrossEntropyStats cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                                int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                Tensor& row_loss) {
  const int64_t rows = logits.shape().rows(), vocab = logits.shape().cols();
  const Device dev = logits.device();
  static_assert(sizeof(kernels::CrossEntropyTotals) % sizeof(double) == 0);
  constexpr int64_t kTotals = sizeof(kernels::CrossEntropyTotals) / sizeof(double);
  // Per-row loss and nll (2 rows), the totals, then per-row status ints (rows / 2 doubles).
  Tensor scratch = Tensor::empty({2 * rows + kTotals + (rows + 1) / 2}, DType::f64, dev);
  double* p = scratch.data<double>();
  auto* totals = reinterpret_cast<kernels::CrossEntropyTotals*>(p + 2 * rows);
  kernels::launch_cross_entropy(logits.data<float>(), targets.data<int32_t>(), smoothing,
                                ignore_index, grad_scale,
                                dlogits.defined() ? dlogits.data<float>() : nullptr,
                                row_loss.defined() ? row_loss.data<float>() : nullptr, rows, vocab,
                                p, reinterpret_cast<int*>(p + 2 * rows + kTotals), totals,
                                dev.index, current_stream(dev).handle);
  kernels::CrossEntropyTotals t{};
  copy_bytes(&t, Device::cpu(), totals, dev, sizeof(t));
  if (t.first_bad_row >= 0) {
    int32_t target = 0;
    copy_bytes(&target, Device::cpu(), targets.data<int32_t>() + t.first_bad_row, dev,
               sizeof(target));
    MOEMT_CHECK(false, "cross_entropy: target {} at row {} outside [0, {})", target,
                t.first_bad_row, vocab);
  }
  CrossEntropyStats s;
  s.loss_sum = t.loss_sum;
  s.nll_sum = t.nll_sum;
  s.tokens = t.tokens;
  return s;
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
