// Entry points of the cross-entropy ops: checks, then one device kernel for all three forms.
#include "ops/cross_entropy.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "cross_entropy.cuh"
#endif

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

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrapper of kernels/cross_entropy.cu. The statistics are added into `stats` on the
// device; the one read back is the first bad row (8 bytes), so a bad target fails as on the CPU.
namespace cuda {
void cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                   int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
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
                                stats.defined() ? stats.data<double>() : nullptr, dev.index,
                                current_stream(dev).handle);
  kernels::CrossEntropyTotals t{};
  copy_bytes(&t.first_bad_row, Device::cpu(), &totals->first_bad_row, dev,
             sizeof(t.first_bad_row));
  if (t.first_bad_row >= 0) {
    int32_t target = 0;
    copy_bytes(&target, Device::cpu(), targets.data<int32_t>() + t.first_bad_row, dev,
               sizeof(target));
    MOEMT_CHECK(false, "cross_entropy: target {} at row {} outside [0, {})", target,
                t.first_bad_row, vocab);
  }
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
