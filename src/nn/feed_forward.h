// Dense position-wise feed-forward network, the FfnBlock of non-MoE layers:
// y = Linear2(Dropout(act(Linear1(x)))), Linear1: D -> F, Linear2: F -> D.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/param_store.h"
#include "nn/dropout.h"
#include "nn/ffn_block.h"
#include "nn/linear.h"
#include "ops/activation.h"

namespace moemt::nn {

struct FeedForwardConfig {
  int64_t d_model = 0, ffn_dim = 0;
  ops::Activation activation = ops::Activation::relu;
  float dropout = 0.f;  // on the hidden activations ("relu dropout"), training mode only
  bool bias = true;
  ParamGroup group = ParamGroup::dense;
};

class FeedForward : public FfnBlock {
 public:
  // Registers `name.fc1.{weight,bias}` (D, F) and `name.fc2.{weight,bias}` (F, D).
  FeedForward(ParamStore& store, const std::string& name, const FeedForwardConfig& cfg);

  // What backward needs from one forward call: both projections' inputs, the dropout stream
  // and the pre-activation h (N, F).
  struct Saved {
    Linear::Saved fc1, fc2;
    Dropout::Saved drop;
    Tensor h;
  };
  // x (N, D) -> y (N, D), filling `saved` (per call: the block may run several times before its
  // backwards, e.g. between the steps of a recurrent layer).
  Tensor forward(Ctx& ctx, const Tensor& x, Saved& saved);
  // dy (N, D) -> dx (N, D); accumulates the gradients of fc1 and fc2.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // FfnBlock's single-use forms: the state is kept in the block.
  Tensor forward(Ctx& ctx, const Tensor& x) override { return forward(ctx, x, last_); }
  Tensor backward(Ctx& ctx, const Tensor& dy) override {
    return backward(ctx, dy, std::exchange(last_, {}));
  }
  // FfnBlock's per-call forms: the Saved above, behind FfnBlock::State.
  Tensor forward_saving(Ctx& ctx, const Tensor& x, std::shared_ptr<State>& saved) override;
  Tensor backward_from(Ctx& ctx, const Tensor& dy, const State* saved) override;

  const FeedForwardConfig& config() const { return cfg_; }
  Linear fc1, fc2;

 private:
  FeedForwardConfig cfg_;
  Dropout drop_;
  Saved last_;
};

}  // namespace moemt::nn
