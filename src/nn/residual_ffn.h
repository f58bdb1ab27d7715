// The pre-norm feed-forward sub-layer that closes every encoder and decoder layer:
// out = x + Dropout(FFN(LN(x))), with the FFN block (dense or MoE) seeing one row per token.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"
#include "nn/dropout.h"
#include "nn/ffn_block.h"
#include "nn/layer_norm.h"

namespace moemt::nn {

class ResidualFfn {
 public:
  // Registers `<layer_name>.ln_ffn`; the FFN block has registered its own parameters.
  ResidualFfn(ParamStore& store, const std::string& layer_name, int64_t d_model, float dropout,
              float ln_eps, std::unique_ptr<FfnBlock> ffn);

  // What backward needs from one forward call: the LayerNorm's statistics, the dropout stream
  // and the FFN block's own state (FfnBlock::forward_saving; a block without per-call state,
  // the MoE layer today, refuses a backward whose forward was not its latest).
  struct Saved {
    LayerNorm::Saved ln;
    Dropout::Saved drop;
    std::shared_ptr<FfnBlock::State> ffn;
  };
  // x (B,T,D) -> (B,T,D), filling `saved`.
  Tensor forward(Ctx& ctx, const Tensor& x, Saved& saved);
  // dy (B,T,D) -> dx (B,T,D) = dy + the gradient through LN, FFN and dropout.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // Single-use forms: the state is kept in the sub-layer.
  Tensor forward(Ctx& ctx, const Tensor& x) { return forward(ctx, x, last_); }
  Tensor backward(Ctx& ctx, const Tensor& dy) {
    return backward(ctx, dy, std::exchange(last_, {}));
  }
  // Decoding (no dropout, nothing saved): x (B,T,D) -> (B,T,D).
  Tensor step(Ctx& ctx, const Tensor& x);

  FfnBlock& ffn() { return *ffn_; }

 private:
  LayerNorm ln_;
  std::unique_ptr<FfnBlock> ffn_;
  Dropout drop_;
  int64_t d_model_;
  Saved last_;
};

}  // namespace moemt::nn
