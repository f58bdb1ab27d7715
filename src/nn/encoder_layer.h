// Pre-norm Transformer encoder layer (self-attention + injected FFN block), plus the pieces it
// shares with the decoder layer: the layer config.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/attention.h"
#include "nn/ctx.h"
#include "nn/dropout.h"
#include "nn/ffn_block.h"
#include "nn/layer_norm.h"
#include "nn/residual_ffn.h"

namespace moemt::nn {

struct LayerConfig {
  AttentionConfig attention;  // d_model, heads, attention-probability dropout, projection bias
  float dropout = 0.1f;       // on each sub-layer's output before the residual add
  float ln_eps = 1e-5f;       // of the pre-norm LayerNorms
};

class EncoderLayer {
 public:
  // Parameters: <name>.ln_attn, <name>.self_attn.{q,k,v,o}, <name>.ln_ffn; the FFN block
  // registers its own (conventionally under <name>.ffn).
  EncoderLayer(ParamStore& store, const std::string& name, const LayerConfig& config,
               std::unique_ptr<FfnBlock> ffn);

  // x (B,S,D), src_lengths i32 (B) or undefined -> (B,S,D):
  // x1 = x + Dropout(SelfAttn(LN(x))), out = x1 + Dropout(FFN(LN(x1))).
  // Rows at padded positions are computed but never seen by valid positions.
  // What backward needs from one forward call.
  struct Saved {
    LayerNorm::Saved ln_attn;
    MultiHeadAttention::Saved attn;
    Dropout::Saved drop_attn;
    ResidualFfn::Saved ffn;
    int64_t b = 0, s = 0;
  };
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& src_lengths, Saved& saved);
  // dy (B,S,D) -> dx (B,S,D); accumulates parameter gradients.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // Single-use forms: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& src_lengths) {
    return forward(ctx, x, src_lengths, last_);
  }
  Tensor backward(Ctx& ctx, const Tensor& dy) {
    return backward(ctx, dy, std::exchange(last_, {}));
  }

  FfnBlock& ffn() { return ffn_.ffn(); }
  MultiHeadAttention& self_attention() { return attn_; }

 private:
  LayerConfig cfg_;
  LayerNorm ln_attn_;
  ResidualFfn ffn_;  // before attn_: parameters keep their registration order
  MultiHeadAttention attn_;
  Dropout drop_attn_;
  Saved last_;
};

}  // namespace moemt::nn
