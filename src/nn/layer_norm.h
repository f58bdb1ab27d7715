// LayerNorm layer over the last dimension: gamma starts at ones, beta at zeros. eps defaults to
// 1e-5 (PyTorch/fairseq); Marian uses 1e-6 — set it in the config to match a reference.
#pragma once

#include <string>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

struct LayerNormConfig {
  int64_t dim = 0;
  float eps = 1e-5f;
};

class LayerNorm {
 public:
  LayerNorm() = default;
  // Registers `name.weight` (gamma, ones) and `name.bias` (beta, zeros), both (dim).
  LayerNorm(ParamStore& store, const std::string& name, const LayerNormConfig& cfg);
  LayerNorm(ParamStore& store, const std::string& name, int64_t dim, float eps = 1e-5f)
      : LayerNorm(store, name, LayerNormConfig{dim, eps}) {}

  // x is (..., dim); returns y of the same shape. Saves x (by reference: do not modify x in
  // place before backward), and the per-row mean and rstd.
  Tensor forward(Ctx& ctx, const Tensor& x);
  // dy (..., dim) -> dx (..., dim); accumulates dgamma and dbeta.
  Tensor backward(Ctx& ctx, const Tensor& dy);
  // Forward without saving statistics (decoding).
  Tensor apply(const Tensor& x) const;

  const LayerNormConfig& config() const { return cfg_; }
  Param gamma, beta;

 private:
  LayerNormConfig cfg_;
  Tensor x_, mean_, rstd_;
};

}  // namespace moemt::nn
