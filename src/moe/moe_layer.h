// MoeLayer: the sparse mixture-of-experts feed-forward block (nn::FfnBlock). Route (optionally
// in two levels: group, then top-k experts inside it), plan with capacity, permute tokens into
// expert-contiguous rows, one GEMM per expert, weighted combine, plus shared experts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "moe/config.h"
#include "moe/expert_bank.h"
#include "moe/router.h"
#include "moe/routing_plan.h"
#include "nn/ffn_block.h"
#include "ops/activation.h"

namespace moemt::moe {

class MoeLayer : public nn::FfnBlock {
 public:
  // Registers, under `name` (e.g. "encoder.layers.1.moe"): router.wg/.wnoise (dense),
  // group_router.* (learned groups only, dense), experts.<e>.{w1,b1,w2,b2} (ParamGroup::expert),
  // shared.<s>.* (dense). d_ff is the model's FFN size, used when cfg.expert_d_ff == 0.
  // cfg must be valid (validate() is called again here).
  MoeLayer(ParamStore& ps, const std::string& name, const MoeConfig& cfg, int64_t d_model,
           int64_t d_ff, ops::Activation act);

  // x (N, D) -> (N, D), at the seams route -> plan -> dispatch -> experts -> combine. Adds the
  // weighted balancing losses to ctx's aux-loss buffer and, when ctx.routing_stats or
  // ctx.on_routing is set, reports this call's routing (a host copy of the plan).
  Tensor forward(nn::Ctx& ctx, const Tensor& x) override;
  // dy (N, D) -> dx (N, D); accumulates expert, router and shared gradients, including
  // aux_grad_scale() times the balancing losses' gradient.
  Tensor backward(nn::Ctx& ctx, const Tensor& dy) override;

  // Multiplies the balancing losses' gradients (default 1: the loss being minimised is
  // CE_mean + ctx.aux_loss). Set it to the factor the trainer applies to the main loss
  // (loss scaling, gradient accumulation over micro-batches).
  void set_aux_grad_scale(double s) { aux_grad_scale_ = s; }
  double aux_grad_scale() const { return aux_grad_scale_; }

  // CPU threading of the expert GEMMs (see ExpertParallelism); automatic by default.
  void set_expert_parallelism(ExpertParallelism p) {
    experts_.set_parallelism(p);
    if (shared_) shared_->set_parallelism(p);
  }

  const std::string& name() const { return name_; }
  const MoeConfig& config() const { return cfg_; }
  // State of the last forward (device tensors), for tests and tools.
  const RoutingPlan& plan() const { return plan_; }
  const Router& router() const { return router_; }
  const Router* group_router() const { return group_router_ ? &*group_router_ : nullptr; }
  const Tensor& token_groups() const { return groups_; }  // (N) i32, -1 for padding
  const ExpertBank& experts() const { return experts_; }

 private:
  Tensor token_groups(nn::Ctx& ctx, const Tensor& x);
  void report_routing(nn::Ctx& ctx) const;

  std::string name_;
  MoeConfig cfg_;
  int64_t d_model_;
  Router router_;
  std::optional<Router> group_router_;
  ExpertBank experts_;
  std::optional<ExpertBank> shared_;
  Tensor kept_;  // (E) i32, 1 = expert held; only for sub-models (MoeConfig::kept_groups)
  double aux_grad_scale_ = 1.0;
  // Saved by forward.
  Tensor groups_;
  RoutingPlan plan_;
  Tensor y_perm_;
};

}  // namespace moemt::moe
