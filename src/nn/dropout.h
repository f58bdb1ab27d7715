// Dropout layer helper: inverted dropout in training mode, identity otherwise. It keeps only
// the random stream of its forward call and regenerates the mask in backward (no mask memory).
#pragma once

#include "core/rng.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

class Dropout {
 public:
  explicit Dropout(float p = 0.f);

  // x (any shape) -> y (same shape). When inactive (p == 0 or !ctx.training) returns x itself
  // (no copy), so do not modify the result in place unless you own x.
  Tensor forward(Ctx& ctx, const Tensor& x);
  // dy -> dx; returns dy itself when the forward was inactive.
  Tensor backward(Ctx& ctx, const Tensor& dy);
  // In-place forms for buffers the caller owns.
  void forward_inplace(Ctx& ctx, Tensor& x);
  void backward_inplace(Ctx& ctx, Tensor& dy);

  float p() const { return p_; }

 private:
  float p_ = 0.f;
  bool active_ = false;  // whether the last forward dropped anything
  RngStream rng_;
};

}  // namespace moemt::nn
