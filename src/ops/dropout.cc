// Entry points of the dropout ops.
#include "ops/dropout.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "dropout.cuh"
#include "elementwise.cuh"
#endif

namespace moemt::ops {

void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask) {
  const Device dev = mask.defined() ? compute_device("dropout_forward", kF32Only, x, y, mask)
                                    : compute_device("dropout_forward", kF32Only, x, y);
  MOEMT_CHECK(p >= 0.f && p < 1.f, "dropout probability {} not in [0, 1)", p);
  MOEMT_CHECK(x.numel() == y.numel(), "dropout: x {} y {}", x.shape().str(), y.shape().str());
  if (mask.defined())
    MOEMT_CHECK(mask.numel() == x.numel(), "dropout: mask {}", mask.shape().str());
  MOEMT_DISPATCH(dev, dropout_forward, x, p, rng, y, mask);
}

void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx) {
  const Device dev = compute_device("dropout_backward", kF32Only, dy, mask, dx);
  MOEMT_CHECK(dy.numel() == mask.numel() && dx.numel() == dy.numel(),
              "dropout_backward: dy {} mask {} dx {}", dy.shape().str(), mask.shape().str(),
              dx.shape().str());
  MOEMT_DISPATCH(dev, dropout_backward, dy, mask, dx);
}

void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx) {
  const Device dev = compute_device("dropout_backward", kF32Only, dy, dx);
  MOEMT_CHECK(p >= 0.f && p < 1.f, "dropout probability {} not in [0, 1)", p);
  MOEMT_CHECK(dy.numel() == dx.numel(), "dropout_backward: dy {} dx {}", dy.shape().str(),
              dx.shape().str());
  MOEMT_DISPATCH(dev, dropout_backward, dy, p, rng, dx);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/dropout.cu. p = 0 needs no special case there: threshold 0
// keeps every element with multiplier 1.
namespace cuda {
void dropout_forward(const Tensor& x, float p, RngStream rng, Tensor& y, Tensor& mask) {
  kernels::launch_dropout_forward(x.data<float>(), p, rng.seed, rng.stream, y.data<float>(),
                                  mask.defined() ? mask.data<float>() : nullptr, x.numel(),
                                  x.device().index, current_stream(x.device()).handle);
}
void dropout_backward(const Tensor& dy, const Tensor& mask, Tensor& dx) {
  kernels::launch_mul(dy.data<float>(), mask.data<float>(), dx.data<float>(), dy.numel(),
                      dy.device().index, current_stream(dy.device()).handle);
}
void dropout_backward(const Tensor& dy, float p, RngStream rng, Tensor& dx) {
  kernels::launch_dropout_forward(dy.data<float>(), p, rng.seed, rng.stream, dx.data<float>(),
                                  nullptr, dy.numel(), dy.device().index,
                                  current_stream(dy.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
