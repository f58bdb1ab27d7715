// MoeLayer: the sparse mixture-of-experts feed-forward block (nn::FfnBlock). Route (optionally
// in two levels: group, then top-k experts inside it), plan with capacity, dispatch tokens into
// expert-contiguous rows, one GEMM per expert, weighted combine, plus shared experts. With
// expert parallelism the experts are spread over the ranks of a group and dispatch and combine
// are all-to-alls (moe/expert_exchange.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "dist/communicator.h"
#include "moe/config.h"
#include "moe/expert_bank.h"
#include "moe/expert_exchange.h"
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

  // What backward needs from one forward call (saved per call: the layer may run several
  // times before its backwards).
  struct Saved {
    Tensor groups;                     // (N) i32 token groups, -1 for padding
    Router::Saved route, group_route;  // level 2 (experts) and level 1 (learned groups)
    RoutingPlan plan;                  // this rank's slots
    ExpertExchange exchange;           // expert parallelism: rows to and from the ranks
    ExpertBank::Saved experts, shared;
    Tensor y_perm;  // (M, D) expert outputs of this rank's slots
  };

  // x (N, D) -> (N, D), at the seams route -> plan -> dispatch -> experts -> combine. Adds the
  // weighted balancing losses to ctx's aux-loss buffer and, when ctx.routing_stats or
  // ctx.on_routing is set, reports this call's routing (a host copy of the plan). With an
  // expert group set and ctx.training, every rank of the group must make the same calls.
  Tensor forward(nn::Ctx& ctx, const Tensor& x, Saved& saved);
  // dy (N, D) -> dx (N, D); accumulates expert, router and shared gradients, including
  // aux_grad_scale() times the balancing losses' gradient.
  Tensor backward(nn::Ctx& ctx, const Tensor& dy, const Saved& saved);
  // FfnBlock's single-use forms: the state of the last forward is kept in the layer.
  Tensor forward(nn::Ctx& ctx, const Tensor& x) override { return forward(ctx, x, last_); }
  Tensor backward(nn::Ctx& ctx, const Tensor& dy) override { return backward(ctx, dy, last_); }
  // FfnBlock's per-call forms: the Saved above, behind nn::FfnBlock::State.
  Tensor forward_saving(nn::Ctx& ctx, const Tensor& x, std::shared_ptr<State>& saved) override;
  Tensor backward_from(nn::Ctx& ctx, const Tensor& dy, const State* saved) override;

  // Expert parallelism: the experts are spread over the ranks of `group` in contiguous blocks
  // (rank j of G runs experts [j E/G, (j+1) E/G)); training calls (ctx.training) exchange rows
  // with all-to-alls and compute capacities from the group's global counts. Calls without
  // ctx.training (validation, decoding) run every expert locally. Null or one rank: off.
  void set_expert_group(dist::Communicator* group);
  dist::Communicator* expert_group() const { return ep_; }
  // The experts this rank runs: [first, first + count); all of them without a group.
  int first_local_expert() const;
  int num_local_experts() const;

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
  // Per-expert or grouped expert GEMMs (see ExpertGemm); automatic by default.
  void set_expert_gemm(ExpertGemm g) {
    experts_.set_gemm(g);
    if (shared_) shared_->set_gemm(g);
  }

  const std::string& name() const { return name_; }
  const MoeConfig& config() const { return cfg_; }
  // State of the last single-use forward (device tensors), for tests and tools.
  const RoutingPlan& plan() const { return last_.plan; }
  const Router& router() const { return router_; }
  const Router* group_router() const { return group_router_ ? &*group_router_ : nullptr; }
  const Tensor& token_groups() const { return last_.groups; }  // (N) i32, -1 for padding
  const ExpertBank& experts() const { return experts_; }

 private:
  // The seams of forward, in order.
  Tensor route(nn::Ctx& ctx, const Tensor& x, Saved& s);  // returns the gates (N, k)
  void plan(nn::Ctx& ctx, const Tensor& gate, Saved& s);
  Tensor token_groups(nn::Ctx& ctx, const Tensor& x, Saved& s);
  Tensor global_capacity(const nn::Ctx& ctx, const Saved& s, float cf) const;
  void report_routing(nn::Ctx& ctx, const Saved& s) const;
  bool exchanging(const nn::Ctx& ctx) const { return ep_ != nullptr && ctx.training; }
  std::string context(const nn::Ctx& ctx, const char* seam) const;

  std::string name_;
  MoeConfig cfg_;
  int64_t d_model_;
  Router router_;
  std::optional<Router> group_router_;
  ExpertBank experts_;
  std::optional<ExpertBank> shared_;
  Tensor kept_;  // (E) i32, 1 = expert held; only for sub-models (MoeConfig::kept_groups)
  double aux_grad_scale_ = 1.0;
  dist::Communicator* ep_ = nullptr;
  Saved last_;
};

}  // namespace moemt::moe
