// The pre-norm feed-forward sub-layer that closes every encoder and decoder layer:
// out = x + Dropout(FFN(LN(x))), with the FFN block (dense or MoE) seeing one row per token.
#pragma once

#include <memory>
#include <string>

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

  // x (B,T,D) -> (B,T,D), saving what backward needs.
  Tensor forward(Ctx& ctx, const Tensor& x);
  // dy (B,T,D) -> dx (B,T,D) = dy + the gradient through LN, FFN and dropout.
  Tensor backward(Ctx& ctx, const Tensor& dy);
  // Decoding (no dropout, nothing saved): x (B,T,D) -> (B,T,D).
  Tensor step(Ctx& ctx, const Tensor& x);

  FfnBlock& ffn() { return *ffn_; }

 private:
  LayerNorm ln_;
  std::unique_ptr<FfnBlock> ffn_;
  Dropout drop_;
  int64_t d_model_;
};

}  // namespace moemt::nn
