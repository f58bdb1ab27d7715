// Dropout layer helper over ops::dropout_{forward,backward}.
#include "nn/dropout.h"

#include "ops/dropout.h"

namespace moemt::nn {

Dropout::Dropout(float p) : p_(p) {
  if (p < 0.f || p >= 1.f) throw Error("dropout probability {} must be in [0, 1)", p);
}

// x (any) -> y (same shape).
Tensor Dropout::forward(Ctx& ctx, const Tensor& x, Saved& saved) {
  saved.active = ctx.training && p_ > 0.f;
  if (!saved.active) return x;
  saved.rng = ctx.next_rng();
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device()), none;
  ops::dropout_forward(x, p_, saved.rng, y, none);
  return y;
}

// dy -> dx. Forward was `y = x * keep(i) / (1 - p)`, so dx = dy * keep(i) / (1 - p).
Tensor Dropout::backward(Ctx& ctx, const Tensor& dy, const Saved& saved) const {
  if (!saved.active) return dy;
  Tensor dx = Tensor::empty(dy.shape(), DType::f32, dy.device());
  ops::dropout_backward(dy, p_, saved.rng, dx);
  return dx;
}

void Dropout::forward_inplace(Ctx& ctx, Tensor& x, Saved& saved) {
  saved.active = ctx.training && p_ > 0.f;
  if (!saved.active) return;
  saved.rng = ctx.next_rng();
  Tensor none;
  ops::dropout_forward(x, p_, saved.rng, x, none);
}

void Dropout::backward_inplace(Ctx& ctx, Tensor& dy, const Saved& saved) const {
  if (saved.active) ops::dropout_backward(dy, p_, saved.rng, dy);
}

}  // namespace moemt::nn
