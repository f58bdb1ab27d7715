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

  // What backward needs from one forward call: whether it dropped anything and its random
  // stream (the mask is regenerated, never stored).
  struct Saved {
    bool active = false;
    RngStream rng;
  };
  // x (any shape) -> y (same shape). When inactive (p == 0 or !ctx.training) returns x itself
  // (no copy), so do not modify the result in place unless you own x.
  Tensor forward(Ctx& ctx, const Tensor& x, Saved& saved);
  // dy -> dx; returns dy itself when the forward was inactive.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved) const;
  // In-place forms for buffers the caller owns.
  void forward_inplace(Ctx& ctx, Tensor& x, Saved& saved);
  void backward_inplace(Ctx& ctx, Tensor& dy, const Saved& saved) const;
  // The same for a layer that runs once per backward: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& x) { return forward(ctx, x, last_); }
  Tensor backward(Ctx& ctx, const Tensor& dy) const { return backward(ctx, dy, last_); }
  void forward_inplace(Ctx& ctx, Tensor& x) { forward_inplace(ctx, x, last_); }
  void backward_inplace(Ctx& ctx, Tensor& dy) const { backward_inplace(ctx, dy, last_); }

  float p() const { return p_; }

 private:
  float p_ = 0.f;
  Saved last_;
};

}  // namespace moemt::nn
