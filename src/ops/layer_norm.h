// Layer normalisation over the last dimension with its backward:
// y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps) (biased variance).
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// x and y are (N, C) (rows = all leading dims), gamma and beta (C). mean and rstd (N) receive
// the per-row statistics backward needs; pass undefined Tensor()s to skip saving them
// (inference). y may alias x.
void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd);
// dy, x, dx are (N, C); mean and rstd are the forward's. Writes dx (may alias dy) and
// accumulates dgamma += sum_n dy * xhat and dbeta += sum_n dy in a thread-count-independent order.
void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);

namespace cpu {
void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd);
void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);
}  // namespace cpu
namespace cuda {
void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd);
void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);
}  // namespace cuda

}  // namespace moemt::ops
