// Entry points of the layer-norm ops: shape checks, then device dispatch.
#include "ops/layer_norm.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "layer_norm.cuh"
#endif

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

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/layer_norm.cu on the device's current stream.
namespace cuda {
void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd) {
  kernels::launch_layer_norm_forward(
      x.data<float>(), gamma.data<float>(), beta.data<float>(), eps, y.data<float>(),
      mean.defined() ? mean.data<float>() : nullptr, rstd.defined() ? rstd.data<float>() : nullptr,
      x.shape().rows(), x.shape().cols(), x.device().index, current_stream(x.device()).handle);
}
void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const int64_t rows = x.shape().rows(), cols = x.shape().cols();
  // Per-row-block partial sums of dgamma and dbeta, combined in block order.
  Tensor partials =
      Tensor::empty({2 * kernels::layer_norm_row_blocks(rows) * cols}, DType::f32, x.device());
  kernels::launch_layer_norm_backward(dy.data<float>(), x.data<float>(), gamma.data<float>(),
                                      mean.data<float>(), rstd.data<float>(), dx.data<float>(),
                                      dgamma.data<float>(), dbeta.data<float>(),
                                      partials.data<float>(), rows, cols, x.device().index,
                                      current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
