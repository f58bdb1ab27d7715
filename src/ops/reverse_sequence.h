// Reversal of each sequence within its own length (TensorFlow's reverse_sequence), for the
// backward direction of a bidirectional LSTM: padding stays at the end.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// x (B,T,D) f32, lengths i32 (B) -> y (B,T,D): y[b,t] = x[b, lengths[b]-1-t] for t < lengths[b],
// 0 for t >= lengths[b]. The op is its own backward. y must not alias x.
void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y);

namespace cpu {
void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y);
}  // namespace cpu
namespace cuda {
void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y);
}  // namespace cuda

}  // namespace moemt::ops
