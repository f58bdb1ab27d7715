// Router: one level of top-k gating — logits x·Wg (f32 weights, math in double), optional
// noisy gating (x·Wnoise), candidates restricted to the token's expert group, top-k, gate
// values, balancing losses — with its backward to the input and the router weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/tensor.h"
#include "moe/balance_loss.h"
#include "nn/ctx.h"

namespace moemt::moe {

struct RouterOptions {
  int num_experts = 8;  // outputs of the router (experts, or groups for a level-1 gate)
  int num_groups = 1;   // candidates of a token are the experts of its group
  int k = 2;
  bool renormalize = true;  // see MoeConfig::renormalize
  bool noisy = false;
  float noise_scale = 1.f;
  float init_std = 0.02f;
  BalanceCoefs coefs;
};

class Router {
 public:
  // Registers `<name>.wg` (D, E) and, with noise, `<name>.wnoise` (D, E), both dense f32.
  Router(ParamStore& ps, const std::string& name, int64_t d_model, const RouterOptions& opt);

  // x is (N, D); group (N) is each row's group, -1 for padding rows (they get expert -1).
  // Noise is drawn only when ctx.training. Results stay valid until the next forward.
  void forward(nn::Ctx& ctx, const Tensor& x, const std::vector<int32_t>& group);

  // Slot s = t*k + j: chosen expert (-1 on padding) and its gate.
  const std::vector<int32_t>& expert() const { return expert_; }
  const std::vector<float>& gate() const { return gate_f_; }
  const BalanceValues& loss_values() const { return values_; }
  double aux_loss() const { return values_.weighted(opt_.coefs); }
  // Sum over valid tokens of the entropy (nats) of the router distribution p.
  double entropy_sum() const;
  // Router probability p (N, E), 0 outside a token's group; for statistics and tests.
  const std::vector<double>& probs() const { return p_; }

  // dgate (N*k) is dLoss/dgate from the combine. Adds aux_scale * the balancing losses'
  // gradient, accumulates dWg (and dWnoise) and returns dx (N, D).
  Tensor backward(const std::vector<float>& dgate, double aux_scale);

  const RouterOptions& options() const { return opt_; }
  Param wg() const { return wg_; }
  Param wnoise() const { return wnoise_; }

 private:
  GateView view() const;

  RouterOptions opt_;
  int64_t d_model_;
  Param wg_, wnoise_;
  // Saved by forward.
  Tensor x_;
  int64_t n_ = 0;
  bool noise_on_ = false;
  std::vector<int32_t> group_;
  std::vector<double> clean_, raw_, eps_, std_, h_, p_, gate_;
  std::vector<int32_t> top_, expert_;
  int ktop_ = 0;
  std::vector<float> gate_f_;
  BalanceValues values_;
};

}  // namespace moemt::moe
