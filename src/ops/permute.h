// Token permutation for MoE: scatter token rows into an expert-contiguous buffer and combine
// expert outputs back with gate weights. Both are driven by slot_row (N, k): the buffer row of
// each (token, choice) slot, -1 when the slot was dropped (over capacity) or is padding.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// out[slot_row[t,j]] = w[t,j] * x[t] for every slot with slot_row >= 0 (w undefined = 1).
// x (N, D), slot_row (N, k) i32, w (N, k) f32 or an undefined Tensor, out (M, D). Rows of out
// that no slot names are left untouched; a plan names every row exactly once.
void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out);

// out[t] = beta * out[t] + sum_j w[t,j] * y[slot_row[t,j]] (w undefined = 1). y (M, D),
// out (N, D). Also the backward of permute (with w = 1 it sums a token's slot gradients).
void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta = 0.f);

// Backward of unpermute_combine with respect to the weights:
// dw[t,j] = dot(dout[t], y[slot_row[t,j]]), 0 for slots with no row. dw (N, k) f32.
void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw);

namespace cpu {
void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out);
void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta);
void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw);
}  // namespace cpu
namespace cuda {
void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out);
void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta);
void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw);
}  // namespace cuda

}  // namespace moemt::ops
