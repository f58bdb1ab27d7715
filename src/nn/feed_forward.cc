// Dense feed-forward block: forward and backward side by side.
#include "nn/feed_forward.h"

namespace moemt::nn {

FeedForward::FeedForward(ParamStore& store, const std::string& name, const FeedForwardConfig& cfg)
    : fc1(store, name + ".fc1", LinearConfig{cfg.d_model, cfg.ffn_dim, cfg.bias, cfg.group}),
      fc2(store, name + ".fc2", LinearConfig{cfg.ffn_dim, cfg.d_model, cfg.bias, cfg.group}),
      cfg_(cfg),
      drop_(cfg.dropout) {}

// x (N, D) -> y (N, D)
Tensor FeedForward::forward(Ctx& ctx, const Tensor& x, Saved& sv) {
  sv.h = fc1.forward(ctx, x, sv.fc1);  // h = x · W1 + b1        (N, F)
  Tensor a = Tensor::empty(sv.h.shape(), DType::f32, sv.h.device());
  ops::activation_forward(cfg_.activation, sv.h, a);  // a = act(h)
  drop_.forward_inplace(ctx, a, sv.drop);             // a = dropout(a)
  return fc2.forward(ctx, a, sv.fc2);                 // y = a · W2 + b2        (N, D)
}

// dy (N, D) -> dx (N, D)
Tensor FeedForward::backward(Ctx& ctx, const Tensor& dy, const Saved& sv) {
  MOEMT_CHECK(sv.h.defined(), "FeedForward::backward without forward");
  // `y = a · W2 + b2`
  Tensor da = fc2.backward(ctx, dy, sv.fc2);
  // `a = dropout(a)`: same stream, same mask.
  drop_.backward_inplace(ctx, da, sv.drop);
  // `a = act(h)`: dh = da * act'(h), written over da.
  ops::activation_backward(cfg_.activation, sv.h, da, da);
  // `h = x · W1 + b1`
  return fc1.backward(ctx, da, sv.fc1);
}

namespace {
struct CallState : FfnBlock::State {
  FeedForward::Saved saved;
};
}  // namespace

Tensor FeedForward::forward_saving(Ctx& ctx, const Tensor& x, std::shared_ptr<State>& saved) {
  auto s = std::make_shared<CallState>();
  Tensor y = forward(ctx, x, s->saved);
  saved = std::move(s);
  return y;
}

Tensor FeedForward::backward_from(Ctx& ctx, const Tensor& dy, const State* saved) {
  const auto* s = dynamic_cast<const CallState*>(saved);
  MOEMT_CHECK(s != nullptr, "FeedForward::backward_from without its forward's state");
  return backward(ctx, dy, s->saved);
}

}  // namespace moemt::nn
