// Entry points of the activation ops.
#include "ops/activation.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "activation.cuh"
#endif

namespace moemt::ops {

Activation activation_from_name(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "gelu") return Activation::gelu;
  if (name == "gelu_erf") return Activation::gelu_erf;
  throw Error("unknown activation '{}' (expected relu, gelu or gelu_erf)", name);
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::relu: return "relu";
    case Activation::gelu: return "gelu";
    case Activation::gelu_erf: return "gelu_erf";
  }
  return "?";
}

void activation_forward(Activation act, const Tensor& x, Tensor& y) {
  const Device dev = compute_device("activation_forward", kF32Only, x, y);
  MOEMT_CHECK(x.numel() == y.numel(), "activation shapes {} {}", x.shape().str(), y.shape().str());
  MOEMT_DISPATCH(dev, activation_forward, act, x, y);
}

void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx) {
  const Device dev = compute_device("activation_backward", kF32Only, x, dy, dx);
  MOEMT_CHECK(x.numel() == dy.numel() && dx.numel() == x.numel(), "activation_backward shapes");
  MOEMT_DISPATCH(dev, activation_backward, act, x, dy, dx);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void activation_forward(Activation act, const Tensor& x, Tensor& y) {
  kernels::launch_activation_forward(static_cast<int>(act), x.data<float>(), y.data<float>(),
                                     x.numel(), x.device().index,
                                     current_stream(x.device()).handle);
}
void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx) {
  kernels::launch_activation_backward(static_cast<int>(act), x.data<float>(), dy.data<float>(),
                                      dx.data<float>(), x.numel(), x.device().index,
                                      current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
