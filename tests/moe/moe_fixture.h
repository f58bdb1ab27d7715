// Shared test fixture: one MoeLayer in its own ParamStore, a training Ctx with a fixed seed,
// and the scalar loss L = sum(out * probe) + the balancing losses used by the gradient checks.
#pragma once

#include <memory>

#include "moe/moe_layer.h"
#include "nn/gradcheck.h"

namespace moemt::moe::testing {

// The balancing losses the layers added to ctx (0 when none): a test's host read.
inline double aux_loss_of(const nn::Ctx& ctx) {
  return ctx.aux_loss.defined() ? static_cast<double>(ctx.aux_loss.to_vector()[0]) : 0.0;
}

struct MoeFixture {
  ParamStore ps;
  std::unique_ptr<MoeLayer> layer;
  nn::Ctx ctx;

  explicit MoeFixture(const MoeConfig& cfg, int64_t d = 6, int64_t ff = 5,
                      ops::Activation act = ops::Activation::gelu, uint64_t seed = 1) {
    layer = std::make_unique<MoeLayer>(ps, "moe", cfg, d, ff, act);
    ps.finalize(Device::cpu(), seed);
    ctx.training = true;
    ctx.seed = 42;
  }
  // Same step and call numbering every time, so the gating noise is identical across calls.
  double loss(const Tensor& x, const Tensor& probe) {
    ctx.begin_step(3);
    ctx.reset_aux_loss();
    Tensor y = layer->forward(ctx, x);
    return nn::dot(y, probe) + aux_loss_of(ctx);
  }
  Tensor backward_grads(const Tensor& x, const Tensor& probe) {
    ps.zero_grad();
    loss(x, probe);
    return layer->backward(ctx, probe);
  }
};

}  // namespace moemt::moe::testing
