// MoeLayer forward and backward. N tokens, D model width, E experts, k choices, M kept slots.
#include "moe/moe_layer.h"

#include "moe/routing_stats.h"
#include "ops/elementwise.h"
#include "ops/moe_gate_scale.h"
#include "ops/moe_plan.h"
#include "ops/permute.h"

namespace moemt::moe {

namespace {
RouterOptions expert_router_options(const MoeConfig& c) {
  RouterOptions o;
  o.num_experts = c.num_experts;
  o.num_groups = c.num_groups;
  o.k = c.top_k;
  o.renormalize = c.renormalize;
  o.noisy = c.noisy_gating;
  o.noise_scale = c.noise_scale;
  o.init_std = c.router_init_std;
  o.coefs = {c.importance_loss_coef, c.load_loss_coef, c.switch_loss_coef, c.z_loss_coef};
  return o;
}
// Level 1 of learned hierarchical routing: noisy top-1 over groups with the raw softmax
// probability as gate (Switch-style), so the group gate learns through the output too.
RouterOptions group_router_options(const MoeConfig& c) {
  RouterOptions o = expert_router_options(c);
  o.num_experts = c.num_groups;
  o.num_groups = 1;
  o.k = 1;
  o.renormalize = false;
  o.noisy = true;
  if (o.noise_scale <= 0.f) o.noise_scale = 1.f;
  return o;
}
std::vector<bool> kept_experts(const MoeConfig& c) {
  std::vector<bool> kept;
  if (!c.kept_groups.empty())
    for (int e = 0; e < c.num_experts; ++e) kept.push_back(c.expert_kept(e));
  return kept;
}
const MoeConfig& validated(const MoeConfig& c, const std::string& name) {
  c.validate(name);
  MOEMT_CHECK(c.every > 0, "MoeLayer {} built for a stack without MoE layers", name);
  return c;
}
}  // namespace

MoeLayer::MoeLayer(ParamStore& ps, const std::string& name, const MoeConfig& cfg, int64_t d_model,
                   int64_t d_ff, ops::Activation act)
    : name_(name),
      cfg_(validated(cfg, name)),
      d_model_(d_model),
      router_(ps, name + ".router", d_model, expert_router_options(cfg)),
      experts_(ps, name + ".experts", cfg.num_experts, d_model,
               cfg.expert_d_ff > 0 ? cfg.expert_d_ff : d_ff, act, ParamGroup::expert,
               kept_experts(cfg)) {
  if (!cfg.kept_groups.empty()) {
    std::vector<int32_t> k;
    for (bool b : kept_experts(cfg)) k.push_back(b ? 1 : 0);
    kept_ = Tensor::from_vector(k, {cfg.num_experts});
  }
  if (cfg.group_by == GroupBy::learned)
    group_router_.emplace(ps, name + ".group_router", d_model, group_router_options(cfg));
  if (cfg.num_shared_experts > 0)
    shared_.emplace(ps, name + ".shared", cfg.num_shared_experts, d_model,
                    cfg.shared_d_ff > 0 ? cfg.shared_d_ff : experts_.d_ff(), act,
                    ParamGroup::dense);
}

Tensor MoeLayer::token_groups(nn::Ctx& ctx, const Tensor& x) {
  // Groups come from the batch's host metadata (padding rows, sentence languages) and are
  // uploaded once; learned groups are the group router's choices and stay on the device.
  const int64_t n = x.shape().rows();
  MOEMT_CHECK(ctx.row_valid.empty() || static_cast<int64_t>(ctx.row_valid.size()) == n,
              "row_valid has {} entries for {} rows", ctx.row_valid.size(), n);
  std::vector<int32_t> g(n, 0);
  for (int64_t t = 0; t < n; ++t)
    if (!ctx.row_valid.empty() && ctx.row_valid[t] == 0) g[t] = -1;
  if (cfg_.group_by == GroupBy::src_family || cfg_.group_by == GroupBy::tgt_family) {
    const auto& langs = cfg_.group_by == GroupBy::src_family ? ctx.src_lang : ctx.tgt_lang;
    const int64_t rps = std::max<int64_t>(1, ctx.rows_per_sentence);
    MOEMT_CHECK(static_cast<int64_t>(langs.size()) * rps >= n,
                "{}: {} sentence languages for {} rows ({} rows per sentence)", name_, langs.size(),
                n, rps);
    for (int64_t t = 0; t < n; ++t) {
      if (g[t] < 0) continue;
      int32_t lang = langs[t / rps];
      if (lang < 0 || lang >= static_cast<int32_t>(cfg_.lang_to_group.size()))
        throw Error(
            "{}: language id {} has no expert group (the language -> group map has {} "
            "entries)",
            name_, lang, cfg_.lang_to_group.size());
      g[t] = cfg_.lang_to_group[lang];
    }
  }
  Tensor groups = Tensor::from_vector(g, {n}).to(x.device());
  if (!group_router_) return groups;
  group_router_->forward(ctx, x, groups);
  return group_router_->expert().reshape({n});  // -1 on padding rows, as their input group
}

Tensor MoeLayer::forward(nn::Ctx& ctx, const Tensor& x) {
  // x is (N, D); out is (N, D).
  MOEMT_CHECK(x.shape().cols() == d_model_, "{}: input {} for d_model {}", name_, x.shape().str(),
              d_model_);
  const int64_t n = x.shape().rows();
  const int k = cfg_.top_k, e = cfg_.num_experts;
  const Device dev = x.device();

  // Route: each token's group, then the router's top-k experts inside it (the balancing
  // losses go into ctx's device buffer). gate = level-2 gate, times the learned group gate.
  groups_ = token_groups(ctx, x);
  router_.forward(ctx, x, groups_);
  Tensor gate = router_.gate();
  if (group_router_) {
    gate = Tensor::empty({n, k}, DType::f32, dev);
    ops::moe_gate_scale(router_.gate(), group_router_->gate(), gate);
  }

  // Plan: capacities from each group's token count, stable sort by expert, capacity cuts.
  float cf = ctx.training ? cfg_.capacity_factor_train : cfg_.capacity_factor_eval;
  if (ctx.dropless) cf = 0.f;  // decoding: batch-independent results
  Tensor capacity = Tensor::empty({e}, DType::i32, dev);
  ops::moe_capacity(groups_, cf, k, cfg_.min_capacity, cfg_.experts_per_group(), capacity);
  if (kept_.defined()) {  // sub-model: slots of absent experts are dropped
    if (kept_.device() != dev) kept_ = kept_.to(dev);
    ops::moe_keep_experts(kept_, capacity);
  }
  plan_ = make_plan(router_.expert(), gate, capacity);
  plan_.read_offsets_to_host();  // the one host read: it sizes the buffer and expert GEMMs

  // Dispatch: token rows into expert-contiguous rows (with expert parallelism, the all-to-all
  // goes here, after the permute).
  Tensor xp = Tensor::empty({plan_.num_rows(), d_model_}, DType::f32, dev);
  ops::permute(x, plan_.row, Tensor(), xp);
  // Experts: one GEMM pair per expert over its rows.
  y_perm_ = experts_.forward_grouped(xp, plan_.host_offsets);
  // Combine: gate-weighted sum of each token's expert rows, plus the shared experts.
  Tensor out = Tensor::empty({n, d_model_}, DType::f32, dev);
  ops::unpermute_combine(y_perm_, plan_.row, plan_.gate, out, 0.f);
  if (shared_) shared_->forward_all(x, out);

  if (ctx.routing_stats != nullptr || ctx.on_routing) report_routing(ctx);
  return out;
}

void MoeLayer::report_routing(nn::Ctx& ctx) const {
  // Host reads for statistics and traces only, never on the compute path.
  const HostRoutingPlan plan = plan_.read_to_host();
  if (ctx.routing_stats != nullptr) {
    const int64_t n = plan.num_tokens;
    const auto& langs = ctx.stack == 0 ? ctx.src_lang : ctx.tgt_lang;
    std::vector<int32_t> token_lang;
    if (!langs.empty()) {
      const int64_t rps = std::max<int64_t>(1, ctx.rows_per_sentence);
      token_lang.resize(n);
      for (int64_t t = 0; t < n; ++t)
        token_lang[t] = t / rps < static_cast<int64_t>(langs.size()) ? langs[t / rps] : -1;
    }
    ctx.routing_stats->record(name_, plan, router_.read_entropy_sum_to_host(), token_lang);
  }
  if (ctx.on_routing) ctx.on_routing(name_, plan);
}

Tensor MoeLayer::backward(nn::Ctx& ctx, const Tensor& dy) {
  (void)ctx;
  const int64_t n = dy.shape().rows();
  const int k = cfg_.top_k;
  const Device dev = dy.device();
  MOEMT_CHECK(n == plan_.num_tokens, "{}: backward of {} rows after forward of {}", name_, n,
              plan_.num_tokens);
  Tensor dx = Tensor::zeros({n, d_model_}, DType::f32, dev);
  if (shared_) ops::add_inplace(dx, shared_->backward(dy));

  // Combine: out[t] = sum_j gate[t,j] * y_perm[row[t,j]], so
  // dgate[t,j] = dot(dy[t], y_perm[row[t,j]]) and dy_perm[row[t,j]] = gate[t,j] * dy[t].
  Tensor dgate = Tensor::empty({n, k}, DType::f32, dev);
  ops::combine_weight_grad(dy, y_perm_, plan_.row, dgate);
  Tensor dyp = Tensor::empty({plan_.num_rows(), d_model_}, DType::f32, dev);
  ops::permute(dy, plan_.row, plan_.gate, dyp);
  // Experts, then dispatch: xp[row[t,j]] = x[t], so dx[t] += sum_j dxp[row[t,j]].
  Tensor dxp = experts_.backward(dyp);
  ops::unpermute_combine(dxp, plan_.row, Tensor(), dx, 1.f);

  // Route: gate = g2 * pg (learned groups): dg2 = dgate * pg, dpg = sum_j dgate * g2.
  if (group_router_) {
    Tensor dpg = Tensor::empty({n, 1}, DType::f32, dev);
    ops::moe_gate_scale_backward(dgate, router_.gate(), group_router_->gate(), dgate, dpg);
    ops::add_inplace(dx, group_router_->backward(dpg, aux_grad_scale_));
  }
  ops::add_inplace(dx, router_.backward(dgate, aux_grad_scale_));
  return dx;
}

}  // namespace moemt::moe
