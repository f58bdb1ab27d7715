// Row softmax over the last dimension with the masks attention needs: key padding (per batch
// item key lengths) and causal (future keys), plus its backward.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// Which keys a row of attention scores (B*H, Tq, Tk) may see. With no mask set the op is a plain
// softmax over the last dimension of a tensor of any rank.
struct SoftmaxMask {
  // i32 (B) on the scores' device, or undefined: keys j >= key_lengths[b] are masked for every
  // row of batch item b = row_block / H, where H = (B*H) / B.
  Tensor key_lengths;
  // Masks keys j > i + causal_offset for query i. An offset lets queries be the last Tq of a
  // longer key sequence (incremental decoding: offset = Tk - Tq).
  bool causal = false;
  int64_t causal_offset = 0;
  bool any() const { return causal || key_lengths.defined(); }
};

// y = softmax(x + mask) along the last dim; masked entries get probability 0 and a row whose
// keys are all masked becomes all zeros (not NaN). x and y may be the same tensor.
// x is (B*H, Tq, Tk) when a mask is set, any rank otherwise.
void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask = {});

// dx = y * (dy - sum_j(dy * y)), with y the forward output; masked entries (y = 0) get 0.
// dx may alias dy.
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx);

namespace cpu {
void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask);
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx);
}  // namespace cpu
namespace cuda {
void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask);
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx);
}  // namespace cuda

}  // namespace moemt::ops
