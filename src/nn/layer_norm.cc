// LayerNorm layer: thin wrapper over ops::layer_norm_{forward,backward}.
#include "nn/layer_norm.h"

#include "ops/layer_norm.h"

namespace moemt::nn {

LayerNorm::LayerNorm(ParamStore& store, const std::string& name, const LayerNormConfig& cfg)
    : cfg_(cfg) {
  MOEMT_CHECK(cfg.dim > 0, "LayerNorm '{}' needs a positive dim", name);
  gamma = store.add(name + ".weight", {cfg.dim}, InitSpec::Ones());
  beta = store.add(name + ".bias", {cfg.dim}, InitSpec::Zeros());
}

// x (..., C) -> y (..., C), no saved state.
Tensor LayerNorm::apply(const Tensor& x) const {
  MOEMT_CHECK(x.size(-1) == cfg_.dim, "LayerNorm: input {} for dim {}", x.shape().str(), cfg_.dim);
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device()), none;
  ops::layer_norm_forward(x, gamma.w(), beta.w(), cfg_.eps, y, none, none);
  return y;
}

// x (..., C) -> y (..., C); saves x, mean (N), rstd (N) with N = rows of x.
Tensor LayerNorm::forward(Ctx& ctx, const Tensor& x, Saved& saved) {
  MOEMT_CHECK(x.size(-1) == cfg_.dim, "LayerNorm: input {} for dim {}", x.shape().str(), cfg_.dim);
  int64_t n = x.shape().rows();
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  saved.mean = Tensor::empty({n}, DType::f32, x.device());
  saved.rstd = Tensor::empty({n}, DType::f32, x.device());
  saved.x = x;
  ops::layer_norm_forward(x, gamma.w(), beta.w(), cfg_.eps, y, saved.mean, saved.rstd);
  return y;
}

// dy (..., C) -> dx (..., C).
Tensor LayerNorm::backward(Ctx& ctx, const Tensor& dy, const Saved& saved) {
  MOEMT_CHECK(saved.x.defined() && dy.numel() == saved.x.numel(),
              "LayerNorm::backward: dy {} for forward input {}", dy.shape().str(),
              saved.x.shape().str());
  // Forward was `y = (x - mean) * rstd * gamma + beta`; the op differentiates it row-wise.
  Tensor dx = Tensor::empty(saved.x.shape(), DType::f32, dy.device());
  Tensor gg = gamma.g(), gb = beta.g();
  ops::layer_norm_backward(dy, saved.x, gamma.w(), saved.mean, saved.rstd, dx, gg, gb);
  return dx;
}

}  // namespace moemt::nn
