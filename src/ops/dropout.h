// Inverted dropout with a counter-based mask: element i is kept iff rng.uniform(i) >= p and
// kept values are scaled by 1/(1-p). The mask is a pure function of (rng, i), so backward can
// either read a saved mask or regenerate it from the same stream (no mask memory).
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

namespace moemt::ops {

// y = x * keep(i) / (1 - p), 0 <= p < 1; y may alias x. If `mask` is defined (f32, same numel)
// it receives the multiplier per element (0 or 1/(1-p)). p == 0 copies x into y.
void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask);
// dx = dy * mask with the mask saved by dropout_forward; dx may alias dy.
void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx);
// dx = dy * keep(i) / (1 - p), regenerating the mask from the forward's stream; dx may alias dy.
void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx);

namespace cpu {
void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask);
void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx);
void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx);
}  // namespace cpu
namespace cuda {
void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask);
void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx);
void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx);
}  // namespace cuda

}  // namespace moemt::ops
