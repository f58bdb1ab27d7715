// Label-smoothed cross-entropy over logits with an ignore index, fused with its gradient.
// Target distribution q = (1 - eps) one-hot(target) + eps / V uniform (Marian's form), so the
// row loss is (1 - eps) * nll + eps * mean_v(-log p_v).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// The statistics accumulate into a device tensor, so the trainer reads them once per display
// interval rather than once per call: stats (3) f64 on the logits' device, stats[kLossSum] +=
// the smoothed loss summed over non-ignored rows, stats[kNllSum] += their -log p(target)
// (perplexity), stats[kTokens] += their number. Each call adds its own sums (formed from 0)
// to stats, so chunked calls add up exactly as one running double would.
enum CrossEntropyStat : int64_t { kLossSum = 0, kNllSum = 1, kTokens = 2, kCrossEntropyStats = 3 };

// A host copy of stats, for tests and one-off reports: a device read, so not in a loop.
struct CrossEntropyStats {
  double loss_sum = 0, nll_sum = 0;
  int64_t tokens = 0;
};
CrossEntropyStats read_cross_entropy_stats_to_host(const Tensor& stats);

// logits (N, V) f32, targets (N) i32. Rows whose target equals ignore_index count nothing.
// row_loss (N), if defined, receives each row's smoothed loss (0 for ignored rows).
void cross_entropy_forward(const Tensor& logits, const Tensor& targets, float smoothing,
                           int32_t ignore_index, Tensor& stats, Tensor& row_loss);
// One pass over the logits accumulating the statistics (as cross_entropy_forward) and writing
// the gradient dlogits = grad_scale * (softmax(logits) - q), 0 for ignored rows. dlogits may
// alias logits, so the trainer keeps a single (N, V) buffer. row_loss is optional as above.
void cross_entropy_fused(const Tensor& logits, const Tensor& targets, float smoothing,
                         int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
                         Tensor& row_loss);
// The gradient alone (same as the fused form, statistics dropped).
void cross_entropy_backward(const Tensor& logits, const Tensor& targets, float smoothing,
                            int32_t ignore_index, float grad_scale, Tensor& dlogits);

namespace cpu {
// dlogits, stats and row_loss may each be undefined.
void cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                   int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
                   Tensor& row_loss);
}  // namespace cpu
namespace cuda {
void cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                   int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
                   Tensor& row_loss);
}  // namespace cuda

}  // namespace moemt::ops
