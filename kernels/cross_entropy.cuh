// Raw-pointer launcher of the label-smoothed cross-entropy (ops/cross_entropy.h): logits
// (rows, vocab) f32, targets i32; dlogits (may alias logits) and row_loss may be null.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// The call's statistics on the device; only first_bad_row is read back (the target check).
struct CrossEntropyTotals {
  double loss_sum;
  double nll_sum;
  long long tokens;
  long long first_bad_row;  // -1, or the first row whose target is outside [0, vocab)
};

// `scratch` holds 2 * rows doubles and rows ints; `totals` is one CrossEntropyTotals on the device.
// stats (3 doubles: loss, nll, tokens on the device, or null) += this call's sums.
void launch_cross_entropy(const float* logits, const int32_t* targets, float smoothing,
                          int32_t ignore_index, float grad_scale, float* dlogits, float* row_loss,
                          int64_t rows, int64_t vocab, double* row_stats, int* row_status,
                          CrossEntropyTotals* totals, double* stats, int device, void* stream);

}  // namespace moemt::kernels
