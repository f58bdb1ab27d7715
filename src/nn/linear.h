// Linear: y = x · W + b with W stored (in, out), Xavier-uniform initialised, optional bias.
// The building block of attention projections, feed-forward networks and experts.
#pragma once

#include <string>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

struct LinearConfig {
  int64_t in = 0, out = 0;
  bool bias = true;
  ParamGroup group = ParamGroup::dense;  // expert for MoE expert weights
  float init_gain = 1.f;                 // Xavier gain
};

class Linear {
 public:
  Linear() = default;
  // Registers `name.weight` (in, out) and, with bias, `name.bias` (out) (zeros).
  Linear(ParamStore& store, const std::string& name, const LinearConfig& cfg);
  Linear(ParamStore& store, const std::string& name, int64_t in, int64_t out, bool bias = true,
         ParamGroup group = ParamGroup::dense)
      : Linear(store, name, LinearConfig{in, out, bias, group}) {}

  // x is (..., in); returns (..., out). Keeps a reference to x for backward: do not modify x
  // in place before backward.
  Tensor forward(Ctx& ctx, const Tensor& x);
  // dy is (..., out); returns dx (..., in) and accumulates dW (+= xᵀ·dy) and db.
  Tensor backward(Ctx& ctx, const Tensor& dy);
  // The forward without saving anything (decoding).
  Tensor apply(const Tensor& x) const;

  const LinearConfig& config() const { return cfg_; }
  Param weight, bias;  // bias undefined when cfg.bias is false

 private:
  LinearConfig cfg_;
  Tensor x_;
};

}  // namespace moemt::nn
