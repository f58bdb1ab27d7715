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
Tensor LayerNorm::forward(Ctx& ctx, const Tensor& x) {
  MOEMT_CHECK(x.size(-1) == cfg_.dim, "LayerNorm: input {} for dim {}", x.shape().str(), cfg_.dim);
  int64_t n = x.shape().rows();
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  mean_ = Tensor::empty({n}, DType::f32, x.device());
  rstd_ = Tensor::empty({n}, DType::f32, x.device());
  x_ = x;
  ops::layer_norm_forward(x, gamma.w(), beta.w(), cfg_.eps, y, mean_, rstd_);
  return y;
}

// dy (..., C) -> dx (..., C).
Tensor LayerNorm::backward(Ctx& ctx, const Tensor& dy) {
  MOEMT_CHECK(x_.defined() && dy.numel() == x_.numel(),
              "LayerNorm::backward: dy {} for forward input {}", dy.shape().str(),
              x_.shape().str());
  // Forward was `y = (x - mean) * rstd * gamma + beta`; the op differentiates it row-wise.
  Tensor dx = Tensor::empty(x_.shape(), DType::f32, dy.device());
  Tensor gg = gamma.g(), gb = beta.g();
  ops::layer_norm_backward(dy, x_, gamma.w(), mean_, rstd_, dx, gg, gb);
  x_ = mean_ = rstd_ = Tensor();
  return dx;
}

}  // namespace moemt::nn
