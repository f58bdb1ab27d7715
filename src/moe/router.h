// Router: one level of top-k gating — logits x·Wg, optional noisy gating (x·Wnoise),
// candidates restricted to the token's expert group, top-k, gate values, balancing losses —
// with its backward to the input and the router weights. All math runs in ops on x's device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"
#include "ops/balance_loss.h"
#include "ops/router_gate.h"

namespace moemt::moe {

struct RouterOptions {
  int num_experts = 8;  // outputs of the router (experts, or groups for a level-1 gate)
  int num_groups = 1;   // candidates of a token are the experts of its group
  int k = 2;
  bool renormalize = true;  // see MoeConfig::renormalize
  bool noisy = false;
  float noise_scale = 1.f;
  float init_std = 0.02f;
  ops::BalanceCoefs coefs;
  // Outputs that may be chosen (empty: all); probabilities stay over all candidates
  // (ops::GateTensors::allowed). A sub-model's group gate over the groups it kept.
  std::vector<bool> allowed;
};

class Router {
 public:
  // Registers `<name>.wg` (D, E) and, with noise, `<name>.wnoise` (D, E), both dense f32.
  Router(ParamStore& ps, const std::string& name, int64_t d_model, const RouterOptions& opt);

  // What backward needs from one forward call (and what the layer reads: the choices, gates,
  // probabilities and balancing-loss values).
  struct Saved {
    Tensor x;
    ops::RouterGateOptions gate_opt;
    ops::GateTensors t;
    Tensor values;  // (4) f32 unweighted balancing losses, indexed by ops::BalanceSlot

    // (N, k): chosen expert (-1 on padding) and its gate, on x's device.
    const Tensor& expert() const { return t.expert; }
    const Tensor& gate() const { return t.gate; }
    // Router probability p (N, E), 0 outside a token's group and on padding rows.
    const Tensor& probs() const { return t.probs; }
  };

  // x is (N, D); group (N) i32 is each row's group, -1 for padding rows (they get expert -1).
  // Noise is drawn only when ctx.training. Adds the weighted balancing losses into ctx's
  // aux-loss buffer. Fills `saved` (per call: the router may run several times before its
  // backwards).
  void forward(nn::Ctx& ctx, const Tensor& x, const Tensor& group, Saved& saved) const;
  // dgate (N, k) is dLoss/dgate from the combine (modified in place). Adds aux_scale * the
  // balancing losses' gradient, accumulates dWg (and dWnoise) and returns dx (N, D).
  Tensor backward(Tensor dgate, double aux_scale, const Saved& saved) const;

  // Host read for statistics only: sum over tokens of the entropy (nats) of saved.probs().
  static double read_entropy_sum_to_host(const Saved& saved);

  const RouterOptions& options() const { return opt_; }
  Param wg() const { return wg_; }
  Param wnoise() const { return wnoise_; }

 private:
  RouterOptions opt_;
  int64_t d_model_;
  Param wg_, wnoise_;
  mutable Tensor allowed_;  // (E) i32 from opt_.allowed, moved to the inputs' device once
};

}  // namespace moemt::moe
