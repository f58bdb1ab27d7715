// Gate product of two-level MoE routing: each token's expert gates (N, k) times its group gate
// (N), and the backward to both factors.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// out[t, j] = gate[t, j] * scale[t]; gate and out (N, k) f32 (out may alias gate), scale (N)
// f32 (any shape with N elements).
void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out);

// Backward of moe_gate_scale: dscale[t] = sum_j dout[t, j] * gate[t, j] and
// dgate[t, j] = dout[t, j] * scale[t] (dgate may alias dout).
void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale);

namespace cpu {
void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out);
void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale);
}  // namespace cpu
namespace cuda {
void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out);
void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale);
}  // namespace cuda

}  // namespace moemt::ops
