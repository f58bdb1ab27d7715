// Linear: y = x · W + b with W stored (in, out), Xavier-uniform initialised, optional bias.
// The building block of attention projections, feed-forward networks and experts.
#pragma once

#include <string>
#include <utility>

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

  // What backward needs from one forward call: x, by reference (do not modify x in place
  // before backward), or its cast to the compute dtype under mixed precision (nn/precision.h).
  struct Saved {
    Tensor x;
  };
  // x is (..., in); returns (..., out) and fills `saved`. Per-call state lets one layer run
  // several times before its backwards (a recurrent step, micro-batches, recomputation).
  Tensor forward(Ctx& ctx, const Tensor& x, Saved& saved);
  // dy is (..., out); returns dx (..., in) and accumulates dW (+= xᵀ·dy) and db.
  Tensor backward(Ctx& ctx, const Tensor& dy, const Saved& saved);
  // The same for a layer that runs once per backward: the state is kept in the layer.
  Tensor forward(Ctx& ctx, const Tensor& x) { return forward(ctx, x, last_); }
  Tensor backward(Ctx& ctx, const Tensor& dy) { return backward(ctx, dy, std::exchange(last_, {})); }
  // The forward without saving anything (decoding).
  Tensor apply(const Tensor& x) const;

  const LinearConfig& config() const { return cfg_; }
  Param weight, bias;  // bias undefined when cfg.bias is false

 private:
  Tensor apply_compute(const Tensor& xc) const;  // xc already in the compute dtype

  LinearConfig cfg_;
  Saved last_;
};

}  // namespace moemt::nn
