// LayerNorm layer over the last dimension: gamma starts at ones, beta at zeros. eps defaults to
// 1e-5 (PyTorch/fairseq); Marian uses 1e-6 — set it in the config to match a reference.
#pragma once

#include <string>
#include <utility>

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

  // What backward needs from one forward call: x (by reference: do not modify x in place
  // before backward) and the per-row mean and rstd.
  struct Saved {
    Tensor x, mean, rstd;
  };
  // x is (..., dim); returns y of the same shape and fills `saved` (per call, so the layer may
  // run several times before its backwards).
  Tensor forward(Ctx& ctx, const Tensor& x, Saved& saved);
  // dy (..., dim) -> dx (..., dim); accumulates dgamma and dbeta.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // The same for a layer that runs once per backward: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& x) { return forward(ctx, x, last_); }
  Tensor backward(Ctx& ctx, const Tensor& dy) { return backward(ctx, dy, std::exchange(last_, {})); }
  // Forward without saving statistics (decoding).
  Tensor apply(const Tensor& x) const;

  const LayerNormConfig& config() const { return cfg_; }
  Param gamma, beta;

 private:
  LayerNormConfig cfg_;
  Saved last_;
};

}  // namespace moemt::nn
