// Entry points of the layer-norm ops: shape checks, then device dispatch.
#include "ops/layer_norm.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd) {
  const Device dev =
      mean.defined() ? compute_device("layer_norm_forward", kF32Only, x, gamma, beta, y, mean, rstd)
                     : compute_device("layer_norm_forward", kF32Only, x, gamma, beta, y);
  int64_t n = x.shape().rows(), c = x.shape().cols();
  MOEMT_CHECK(y.numel() == x.numel(), "layer_norm: x {} y {}", x.shape().str(), y.shape().str());
  MOEMT_CHECK(gamma.numel() == c && beta.numel() == c, "layer_norm: x {} gamma {} beta {}",
              x.shape().str(), gamma.shape().str(), beta.shape().str());
  MOEMT_CHECK(mean.defined() == rstd.defined(), "layer_norm: save both mean and rstd or neither");
  if (mean.defined())
    MOEMT_CHECK(mean.numel() == n && rstd.numel() == n, "layer_norm: mean {} rstd {} for {} rows",
                mean.shape().str(), rstd.shape().str(), n);
  MOEMT_DISPATCH(dev, layer_norm_forward, x, gamma, beta, eps, y, mean, rstd);
}

void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const Device dev =
      compute_device("layer_norm_backward", kF32Only, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
  int64_t n = x.shape().rows(), c = x.shape().cols();
  MOEMT_CHECK(dy.numel() == x.numel() && dx.numel() == x.numel(),
              "layer_norm_backward: dy {} x {} dx {}", dy.shape().str(), x.shape().str(),
              dx.shape().str());
  MOEMT_CHECK(gamma.numel() == c && dgamma.numel() == c && dbeta.numel() == c,
              "layer_norm_backward: gamma {} dgamma {} dbeta {} for C={}", gamma.shape().str(),
              dgamma.shape().str(), dbeta.shape().str(), c);
  MOEMT_CHECK(mean.numel() == n && rstd.numel() == n, "layer_norm_backward: mean/rstd for {} rows",
              n);
  MOEMT_DISPATCH(dev, layer_norm_backward, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
}

}  // namespace moemt::ops
