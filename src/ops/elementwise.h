// Elementwise f32 ops used everywhere: residual adds, gradient accumulation, bias add and its
// gradient, scaling and copies. Tensors are contiguous; "rows" are all leading dims.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// out = a + b; all three have the same numel; out may alias a or b.
void add(const Tensor& a, const Tensor& b, Tensor& out);
// y += scale * x (residuals, gradient accumulation); same numel.
void add_inplace(Tensor& y, const Tensor& x, float scale = 1.f);
// out = a * b elementwise; out may alias a or b.
void mul(const Tensor& a, const Tensor& b, Tensor& out);
// x *= s in place.
void scale(Tensor& x, float s);
// y is (N, C), bias is (C): y[n, :] += bias, in place.
void add_bias(Tensor& y, const Tensor& bias);
// dy is (N, C), db is (C): db += column sums of dy (accumulates, deterministic order).
void bias_grad(const Tensor& dy, Tensor& db);
// dst = src; same numel and dtype (f32 or i32).
void copy(const Tensor& src, Tensor& dst);

namespace cpu {
void add(const Tensor& a, const Tensor& b, Tensor& out);
void add_inplace(Tensor& y, const Tensor& x, float scale);
void mul(const Tensor& a, const Tensor& b, Tensor& out);
void scale(Tensor& x, float s);
void add_bias(Tensor& y, const Tensor& bias);
void bias_grad(const Tensor& dy, Tensor& db);
void copy(const Tensor& src, Tensor& dst);
}  // namespace cpu
namespace cuda {
void add(const Tensor& a, const Tensor& b, Tensor& out);
void add_inplace(Tensor& y, const Tensor& x, float scale);
void mul(const Tensor& a, const Tensor& b, Tensor& out);
void scale(Tensor& x, float s);
void add_bias(Tensor& y, const Tensor& bias);
void bias_grad(const Tensor& dy, Tensor& db);
void copy(const Tensor& src, Tensor& dst);
}  // namespace cuda

}  // namespace moemt::ops
