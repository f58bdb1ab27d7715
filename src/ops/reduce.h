// Reductions: whole-tensor sums (loss totals, gradient norms for clipping) and per-row sums.
// Sums use fixed-size blocks combined in a fixed order, so results do not depend on threads.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// Sum of all elements of an f32 tensor, accumulated in double.
double sum(const Tensor& x);
// Sum of squares of all elements (squared L2 norm), accumulated in double.
double sum_squares(const Tensor& x);
// x is (N, C), out is (N): out[n] = sum_j x[n, j].
void row_sum(const Tensor& x, Tensor& out);

namespace cpu {
double sum(const Tensor& x);
double sum_squares(const Tensor& x);
void row_sum(const Tensor& x, Tensor& out);
}  // namespace cpu
namespace cuda {
double sum(const Tensor& x);
double sum_squares(const Tensor& x);
void row_sum(const Tensor& x, Tensor& out);
}  // namespace cuda

}  // namespace moemt::ops
