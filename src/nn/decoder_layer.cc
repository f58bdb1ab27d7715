// Pre-norm decoder layer: forward and backward side by side, then the cached decoding step.
#include "nn/decoder_layer.h"

#include "ops/elementwise.h"

namespace moemt::nn {

DecoderLayer::DecoderLayer(ParamStore& store, const std::string& name, const LayerConfig& config,
                           std::unique_ptr<FfnBlock> ffn)
    : cfg_(config),
      ln_self_(store, name + ".ln_self", config.attention.d_model, config.ln_eps),
      ln_cross_(store, name + ".ln_cross", config.attention.d_model, config.ln_eps),
      ffn_(store, name, config.attention.d_model, config.dropout, config.ln_eps, std::move(ffn)),
      self_attn_(store, name + ".self_attn", config.attention),
      cross_attn_(store, name + ".cross_attn", config.attention),
      drop_self_(config.dropout),
      drop_cross_(config.dropout) {
  if (config.dropout < 0.f || config.dropout >= 1.f)
    throw Error("decoder layer '{}': dropout {} not in [0, 1)", name, config.dropout);
}

Tensor DecoderLayer::forward(Ctx& ctx, const Tensor& y, const Tensor& enc,
                             const Tensor& src_lengths, Saved& sv) {
  // y is (B,T,D), enc is (B,S,D); returns (B,T,D).
  const int64_t d = cfg_.attention.d_model;
  MOEMT_CHECK(y.rank() == 3 && y.size(2) == d && enc.rank() == 3 && enc.size(2) == d &&
                  enc.size(0) == y.size(0),
              "decoder layer inputs y {} enc {} (d_model {})", y.shape().str(), enc.shape().str(),
              d);
  sv.b = y.size(0);
  sv.t = y.size(1);
  // y1 = y + Dropout(CausalSelfAttn(LN(y))); right padding needs no target mask: a valid
  // position never sees a later (padded) one.
  Tensor h = ln_self_.forward(ctx, y, sv.ln_self).reshape({sv.b, sv.t, d});
  Tensor a = drop_self_.forward(ctx, self_attn_.forward(ctx, h, h, Tensor(), true, sv.self_attn),
                                sv.drop_self);
  Tensor y1 = Tensor::empty(y.shape(), DType::f32, y.device());
  ops::add(y, a, y1);
  // y2 = y1 + Dropout(CrossAttn(LN(y1), enc))
  Tensor h2 = ln_cross_.forward(ctx, y1, sv.ln_cross).reshape({sv.b, sv.t, d});
  Tensor c = drop_cross_.forward(
      ctx, cross_attn_.forward(ctx, h2, enc, src_lengths, false, sv.cross_attn), sv.drop_cross);
  Tensor y2 = Tensor::empty(y.shape(), DType::f32, y.device());
  ops::add(y1, c, y2);
  // out = y2 + Dropout(FFN(LN(y2)))
  return ffn_.forward(ctx, y2, sv.ffn);
}

DecoderLayer::Grads DecoderLayer::backward(Ctx& ctx, const Tensor& dy, const Saved& sv) {
  const int64_t d = cfg_.attention.d_model;
  MOEMT_CHECK(sv.b > 0 && dy.numel() == sv.b * sv.t * d,
              "decoder layer backward: dy {} for ({},{},{})", dy.shape().str(), sv.b, sv.t, d);
  // forward: out = y2 + Dropout(FFN(LN(y2)))
  Tensor dy2 = ffn_.backward(ctx, dy.reshape({sv.b, sv.t, d}), sv.ffn);
  // forward: y2 = y1 + Dropout(CrossAttn(LN(y1), enc))
  auto gc = cross_attn_.backward(ctx, drop_cross_.backward(ctx, dy2, sv.drop_cross), sv.cross_attn);
  Tensor dy1 = ln_cross_.backward(ctx, gc.dq_in, sv.ln_cross).reshape({sv.b, sv.t, d});
  ops::add_inplace(dy1, dy2);
  // forward: y1 = y + Dropout(SelfAttn(h, h)), h = LN(y)
  auto gs = self_attn_.backward(ctx, drop_self_.backward(ctx, dy1, sv.drop_self), sv.self_attn);
  ops::add_inplace(gs.dq_in, gs.dkv_in);
  Grads g;
  g.dy_in = ln_self_.backward(ctx, gs.dq_in, sv.ln_self).reshape({sv.b, sv.t, d});
  ops::add_inplace(g.dy_in, dy1);
  g.d_enc = gc.dkv_in;
  return g;
}

void DecoderLayer::init_state(Ctx& ctx, const Tensor& enc, const Tensor& src_lengths,
                              DecoderLayerState& state) {
  state.self.clear();
  cross_attn_.init_cache(ctx, enc, src_lengths, state.cross);
}

Tensor DecoderLayer::step(Ctx& ctx, const Tensor& y_t, DecoderLayerState& state) {
  // y_t is (B,Tn,D); the same three sub-layers as forward(), with cached keys and values and
  // no dropout.
  const int64_t d = cfg_.attention.d_model;
  MOEMT_CHECK(y_t.rank() == 3 && y_t.size(2) == d, "decoder step input {}", y_t.shape().str());
  const int64_t b = y_t.size(0), tn = y_t.size(1);
  Tensor h = ln_self_.apply(y_t).reshape({b, tn, d});
  Tensor y1 = self_attn_.forward_incremental(ctx, h, state.self);
  ops::add_inplace(y1, y_t);
  Tensor h2 = ln_cross_.apply(y1).reshape({b, tn, d});
  Tensor y2 = cross_attn_.forward_incremental(ctx, h2, state.cross);
  ops::add_inplace(y2, y1);
  return ffn_.step(ctx, y2);
}

}  // namespace moemt::nn
