// The squared global L2 norm of a flat gradient buffer, kept on the buffer's device: the
// optimizer reads it once per update (clipping factor, non-finite skip).
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// out (1-element f64, on g's device) = sum_i g[i]^2, g f32, accumulated in double. The sum is
// split into one static share per thread and the shares added in thread order, so the result
// depends on the thread count only, not on scheduling or on which SIMD clone runs.
void global_norm_sq(const Tensor& g, Tensor& out);

namespace cpu {
void global_norm_sq(const Tensor& g, Tensor& out);
}  // namespace cpu
namespace cuda {
void global_norm_sq(const Tensor& g, Tensor& out);
}  // namespace cuda

}  // namespace moemt::ops
