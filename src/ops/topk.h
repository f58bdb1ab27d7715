// Row-wise top-k of a (N, E) score matrix: the k largest values of each row with their column
// indices, largest first (ties broken towards the lower index). Used by MoE routing.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// x is (N, E) f32 with 1 <= k <= E; values (N, k) f32 and indices (N, k) i32 must exist.
// -inf entries rank last (they mark experts a token may not use); NaN is an error upstream.
void topk(const Tensor& x, int k, Tensor& values, Tensor& indices);

namespace cpu {
void topk(const Tensor& x, int k, Tensor& values, Tensor& indices);
}  // namespace cpu
namespace cuda {
void topk(const Tensor& x, int k, Tensor& values, Tensor& indices);
}  // namespace cuda

}  // namespace moemt::ops
