// Entry points of the cross-entropy ops: checks, then one device kernel for all three forms.
#include "ops/cross_entropy.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
void run(const Tensor& logits, const Tensor& targets, float smoothing, int32_t ignore_index,
         float grad_scale, Tensor& dlogits, Tensor& stats, Tensor& row_loss) {
  const char* op = "cross_entropy";
  const Device dev = compute_device(op, kF32Only, logits);
  expect_dtype(op, "targets", targets, DType::i32);
  MOEMT_CHECK(logits.rank() >= 1, "cross_entropy: logits {}", logits.shape().str());
  MOEMT_CHECK(targets.numel() == logits.shape().rows(), "cross_entropy: targets {} for logits {}",
              targets.shape().str(), logits.shape().str());
  MOEMT_CHECK(smoothing >= 0.f && smoothing < 1.f, "label smoothing {} not in [0, 1)", smoothing);
  same_device(logits, targets);
  if (dlogits.defined()) {
    compute_device(op, kF32Only, logits, dlogits);
    MOEMT_CHECK(dlogits.numel() == logits.numel(), "cross_entropy: dlogits {} for logits {}",
                dlogits.shape().str(), logits.shape().str());
  }
  if (stats.defined()) {
    expect_dtype(op, "stats", stats, DType::f64);
    MOEMT_CHECK(stats.numel() == kCrossEntropyStats, "cross_entropy: stats {}, expected ({})",
                stats.shape().str(), int64_t{kCrossEntropyStats});
    same_device(logits, stats);
  }
  if (row_loss.defined()) {
    compute_device(op, kF32Only, logits, row_loss);
    MOEMT_CHECK(row_loss.numel() == targets.numel(), "cross_entropy: row_loss {} for {} rows",
                row_loss.shape().str(), targets.numel());
  }
  MOEMT_DISPATCH(dev, cross_entropy, logits, targets, smoothing, ignore_index, grad_scale, dlogits,
                 stats, row_loss);
}
}  // namespace

CrossEntropyStats read_cross_entropy_stats_to_host(const Tensor& stats) {
  MOEMT_CHECK(stats.dtype() == DType::f64 && stats.numel() == kCrossEntropyStats,
              "cross_entropy stats {} {}", stats.shape().str(), dtype_name(stats.dtype()));
  Tensor h = stats.to(Device::cpu());
  const double* p = h.data<double>();
  return {p[kLossSum], p[kNllSum], static_cast<int64_t>(p[kTokens])};
}

void cross_entropy_forward(const Tensor& logits, const Tensor& targets, float smoothing,
                           int32_t ignore_index, Tensor& stats, Tensor& row_loss) {
  Tensor none;
  run(logits, targets, smoothing, ignore_index, 0.f, none, stats, row_loss);
}

void cross_entropy_fused(const Tensor& logits, const Tensor& targets, float smoothing,
                         int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
                         Tensor& row_loss) {
  MOEMT_CHECK(dlogits.defined(), "cross_entropy_fused needs a dlogits tensor");
  run(logits, targets, smoothing, ignore_index, grad_scale, dlogits, stats, row_loss);
}

void cross_entropy_backward(const Tensor& logits, const Tensor& targets, float smoothing,
                            int32_t ignore_index, float grad_scale, Tensor& dlogits) {
  MOEMT_CHECK(dlogits.defined(), "cross_entropy_backward needs a dlogits tensor");
  Tensor none, no_stats;
  run(logits, targets, smoothing, ignore_index, grad_scale, dlogits, no_stats, none);
}

}  // namespace moemt::ops
