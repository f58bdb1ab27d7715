// Pre-norm Transformer decoder layer: causal self-attention, cross-attention over the encoder
// output, injected FFN block; full-sequence forward/backward and a cached step for decoding.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/attention.h"
#include "nn/ctx.h"
#include "nn/dropout.h"
#include "nn/encoder_layer.h"
#include "nn/ffn_block.h"
#include "nn/layer_norm.h"
#include "nn/residual_ffn.h"

namespace moemt::nn {

// What one decoder layer keeps between decoding steps.
struct DecoderLayerState {
  KVCache self;   // grows by one position per step
  KVCache cross;  // encoder keys/values and source lengths, computed once
  // Beam search: row b continues old row indices[b] (see KVCache::reorder). When the indices
  // only move hypotheses within each sentence's block of rows (same_sentences), the cross rows
  // are unchanged in value and gathering the encoder keys/values is skipped.
  void reorder(const std::vector<int32_t>& indices, bool same_sentences = false) {
    self.reorder(indices);
    if (!same_sentences) cross.reorder(indices);
  }
};

class DecoderLayer {
 public:
  // Parameters: <name>.ln_self, <name>.self_attn.*, <name>.ln_cross, <name>.cross_attn.*,
  // <name>.ln_ffn; the FFN block registers its own.
  DecoderLayer(ParamStore& store, const std::string& name, const LayerConfig& config,
               std::unique_ptr<FfnBlock> ffn);

  // y (B,T,D), enc (B,S,D), src_lengths i32 (B) or undefined -> (B,T,D):
  // y1 = y + Dropout(CausalSelfAttn(LN(y))), y2 = y1 + Dropout(CrossAttn(LN(y1), enc)),
  // out = y2 + Dropout(FFN(LN(y2))).
  // What backward needs from one forward call.
  struct Saved {
    LayerNorm::Saved ln_self, ln_cross;
    MultiHeadAttention::Saved self_attn, cross_attn;
    Dropout::Saved drop_self, drop_cross;
    ResidualFfn::Saved ffn;
    int64_t b = 0, t = 0;
  };
  Tensor forward(Ctx& ctx, const Tensor& y, const Tensor& enc, const Tensor& src_lengths,
                 Saved& saved);
  struct Grads {
    Tensor dy_in;  // (B,T,D)
    Tensor d_enc;  // (B,S,D): this layer's part only; the caller sums it over layers
  };
  Grads backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // Single-use forms: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& y, const Tensor& enc, const Tensor& src_lengths) {
    return forward(ctx, y, enc, src_lengths, last_);
  }
  Grads backward(Ctx& ctx, const Tensor& dy) { return backward(ctx, dy, std::exchange(last_, {})); }

  // Decoding: computes the cross-attention keys/values once and empties the self cache.
  void init_state(Ctx& ctx, const Tensor& enc, const Tensor& src_lengths, DecoderLayerState& state);
  // y_t (B,Tn,D) for the next Tn positions (usually 1) -> (B,Tn,D); appends to state.self.
  // Equals the corresponding rows of forward() on the whole prefix (eval mode).
  Tensor step(Ctx& ctx, const Tensor& y_t, DecoderLayerState& state);

  FfnBlock& ffn() { return ffn_.ffn(); }

 private:
  LayerConfig cfg_;
  LayerNorm ln_self_, ln_cross_;
  ResidualFfn ffn_;  // before the attentions: parameters keep their registration order
  MultiHeadAttention self_attn_, cross_attn_;
  Dropout drop_self_, drop_cross_;
  Saved last_;
};

}  // namespace moemt::nn
