// Label-smoothed cross-entropy over logits with an ignore index, fused with its gradient.
// Target distribution q = (1 - eps) one-hot(target) + eps / V uniform (Marian's form), so the
// row loss is (1 - eps) * nll + eps * mean_v(-log p_v).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

struct CrossEntropyStats {
  double loss_sum = 0;  // sum over non-ignored rows of the smoothed loss
  double nll_sum = 0;   // sum over non-ignored rows of -log p(target) (perplexity)
  int64_t tokens = 0;   // number of non-ignored rows
};

// logits (N, V) f32, targets (N) i32. Rows whose target equals ignore_index count nothing.
// row_loss (N), if defined, receives each row's smoothed loss (0 for ignored rows).
CrossEntropyStats cross_entropy_forward(const Tensor& logits, const Tensor& targets,
                                        float smoothing, int32_t ignore_index, Tensor& row_loss);
// One pass over the logits computing the statistics (as cross_entropy_forward) and the
// gradient dlogits = grad_scale * (softmax(logits) - q), 0 for ignored rows. dlogits may alias
// logits, so the trainer keeps a single (N, V) buffer. row_loss is optional as above.
CrossEntropyStats cross_entropy_fused(const Tensor& logits, const Tensor& targets, float smoothing,
                                      int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                      Tensor& row_loss);
// The gradient alone (same as the fused form, statistics dropped).
void cross_entropy_backward(const Tensor& logits, const Tensor& targets, float smoothing,
                            int32_t ignore_index, float grad_scale, Tensor& dlogits);

namespace cpu {
// dlogits and row_loss may be undefined; the statistics are always computed.
CrossEntropyStats cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                                int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                Tensor& row_loss);
}  // namespace cpu
namespace cuda {
CrossEntropyStats cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                                int32_t ignore_index, float grad_scale, Tensor& dlogits,
                                Tensor& row_loss);
}  // namespace cuda

}  // namespace moemt::ops
