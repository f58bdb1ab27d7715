// Pre-norm feed-forward sub-layer: forward and backward side by side, then the decoding step.
#include "nn/residual_ffn.h"

#include "ops/elementwise.h"

namespace moemt::nn {

ResidualFfn::ResidualFfn(ParamStore& store, const std::string& layer_name, int64_t d_model,
                         float dropout, float ln_eps, std::unique_ptr<FfnBlock> ffn)
    : ln_(store, layer_name + ".ln_ffn", d_model, ln_eps),
      ffn_(std::move(ffn)),
      drop_(dropout),
      d_model_(d_model) {
  MOEMT_CHECK(ffn_ != nullptr, "layer '{}' without an FFN block", layer_name);
}

// x (B,T,D) -> (B,T,D)
Tensor ResidualFfn::forward(Ctx& ctx, const Tensor& x, Saved& sv) {
  const int64_t rows = x.numel() / d_model_;
  Tensor h = ln_.forward(ctx, x, sv.ln).reshape({rows, d_model_});
  Tensor f = drop_.forward(ctx, ffn_->forward_saving(ctx, h, sv.ffn), sv.drop);
  Tensor out = Tensor::empty(x.shape(), DType::f32, x.device());
  ops::add(x, f.reshape(x.shape()), out);
  return out;
}

// dy (B,T,D) -> dx (B,T,D)
Tensor ResidualFfn::backward(Ctx& ctx, const Tensor& dy, const Saved& sv) {
  // out = x + Dropout(FFN(LN(x))): dx = dy + LN'(FFN'(Dropout'(dy))).
  const int64_t rows = dy.numel() / d_model_;
  Tensor df = drop_.backward(ctx, dy.reshape({rows, d_model_}), sv.drop);
  Tensor dffn = ffn_->backward_from(ctx, df, sv.ffn.get());
  Tensor dx = ln_.backward(ctx, dffn, sv.ln).reshape(dy.shape());
  ops::add_inplace(dx, dy);
  return dx;
}

Tensor ResidualFfn::step(Ctx& ctx, const Tensor& x) {
  const int64_t rows = x.numel() / d_model_;
  Tensor out = ffn_->forward(ctx, ln_.apply(x).reshape({rows, d_model_})).reshape(x.shape());
  ops::add_inplace(out, x);
  return out;
}

}  // namespace moemt::nn
