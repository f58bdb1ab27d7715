// Pointwise activations with their backward: ReLU and GELU (tanh approximation, as in
// BERT/GPT-2/fairseq's "gelu_fast"; the exact erf form is the `gelu_erf` variant).
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

enum class Activation : uint8_t { relu, gelu, gelu_erf };
Activation activation_from_name(const std::string& name);  // "relu", "gelu", "gelu_erf"; Error
const char* activation_name(Activation a);

// y = act(x); x and y may be the same tensor.
void activation_forward(Activation act, const Tensor& x, Tensor& y);
// dx = dy * act'(x), with x the forward input; dx may alias dy.
void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx);

namespace cpu {
void activation_forward(Activation act, const Tensor& x, Tensor& y);
void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx);
}  // namespace cpu
namespace cuda {
void activation_forward(Activation act, const Tensor& x, Tensor& y);
void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx);
}  // namespace cuda

}  // namespace moemt::ops
