// Pre-norm encoder layer: forward and backward side by side.
#include "nn/encoder_layer.h"

#include "ops/elementwise.h"

namespace moemt::nn {

EncoderLayer::EncoderLayer(ParamStore& store, const std::string& name, const LayerConfig& config,
                           std::unique_ptr<FfnBlock> ffn)
    : cfg_(config),
      ln_attn_(store, name + ".ln_attn", config.attention.d_model, config.ln_eps),
      ffn_(store, name, config.attention.d_model, config.dropout, config.ln_eps, std::move(ffn)),
      attn_(store, name + ".self_attn", config.attention),
      drop_attn_(config.dropout) {
  if (config.dropout < 0.f || config.dropout >= 1.f)
    throw Error("encoder layer '{}': dropout {} not in [0, 1)", name, config.dropout);
}

Tensor EncoderLayer::forward(Ctx& ctx, const Tensor& x, const Tensor& src_lengths, Saved& sv) {
  // x is (B,S,D); returns (B,S,D).
  const int64_t d = cfg_.attention.d_model;
  MOEMT_CHECK(x.rank() == 3 && x.size(2) == d, "encoder layer input {} (d_model {})",
              x.shape().str(), d);
  sv.b = x.size(0);
  sv.s = x.size(1);
  // x1 = x + Dropout(SelfAttn(LN(x)))
  Tensor h = ln_attn_.forward(ctx, x, sv.ln_attn).reshape({sv.b, sv.s, d});
  Tensor a =
      drop_attn_.forward(ctx, attn_.forward(ctx, h, h, src_lengths, false, sv.attn), sv.drop_attn);
  Tensor x1 = Tensor::empty(x.shape(), DType::f32, x.device());
  ops::add(x, a, x1);
  // out = x1 + Dropout(FFN(LN(x1))).
  return ffn_.forward(ctx, x1, sv.ffn);
}

Tensor EncoderLayer::backward(Ctx& ctx, const Tensor& dy, const Saved& sv) {
  const int64_t d = cfg_.attention.d_model;
  MOEMT_CHECK(sv.b > 0 && dy.numel() == sv.b * sv.s * d,
              "encoder layer backward: dy {} for ({},{},{})", dy.shape().str(), sv.b, sv.s, d);
  // forward: out = x1 + Dropout(FFN(LN(x1))).
  Tensor dx1 = ffn_.backward(ctx, dy.reshape({sv.b, sv.s, d}), sv.ffn);
  // forward: x1 = x + Dropout(SelfAttn(h, h)), h = LN(x); self-attention's two input gradients
  // both belong to h.
  auto g = attn_.backward(ctx, drop_attn_.backward(ctx, dx1, sv.drop_attn), sv.attn);
  ops::add_inplace(g.dq_in, g.dkv_in);
  Tensor dx = ln_attn_.backward(ctx, g.dq_in, sv.ln_attn).reshape({sv.b, sv.s, d});
  ops::add_inplace(dx, dx1);
  return dx;
}

}  // namespace moemt::nn
