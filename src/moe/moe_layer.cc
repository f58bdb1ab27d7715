// MoeLayer forward and backward. N tokens, D model width, E experts, k choices, M kept slots.
#include "moe/moe_layer.h"

#include <cmath>

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
  // A sub-model's gate picks among the groups it kept: a token whose best group was left out
  // takes its best kept group instead of losing its MoE output.
  if (!c.kept_groups.empty()) {
    o.allowed.assign(c.num_groups, false);
    for (int g : c.kept_groups) o.allowed.at(g) = true;
  }
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

void MoeLayer::set_expert_group(dist::Communicator* group) {
  if (group != nullptr && group->size() > 1) {
    if (cfg_.num_experts % group->size() != 0)
      throw Error("{}: {} experts cannot be spread evenly over {} expert-parallel ranks", name_,
                  cfg_.num_experts, group->size());
    ep_ = group;
  } else {
    ep_ = nullptr;
  }
}

int MoeLayer::num_local_experts() const {
  return ep_ ? cfg_.num_experts / ep_->size() : cfg_.num_experts;
}

int MoeLayer::first_local_expert() const { return ep_ ? ep_->rank() * num_local_experts() : 0; }

std::string MoeLayer::context(const nn::Ctx& ctx, const char* seam) const {
  return fmt::format("{} {}, update {}", name_, seam, ctx.step);
}

Tensor MoeLayer::token_groups(nn::Ctx& ctx, const Tensor& x, Saved& s) {
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
  group_router_->forward(ctx, x, groups, s.group_route);
  return s.group_route.expert().reshape({n});  // -1 on padding rows, as their input group
}

Tensor MoeLayer::route(nn::Ctx& ctx, const Tensor& x, Saved& s) {
  // Each token's group, then the router's top-k experts inside it (the balancing losses go
  // into ctx's device buffer). gate = level-2 gate, times the learned group gate.
  s.groups = token_groups(ctx, x, s);
  router_.forward(ctx, x, s.groups, s.route);
  if (!group_router_) return s.route.gate();
  Tensor gate = Tensor::empty({x.shape().rows(), cfg_.top_k}, DType::f32, x.device());
  ops::moe_gate_scale(s.route.gate(), s.group_route.gate(), gate);
  return gate;
}

void MoeLayer::plan(nn::Ctx& ctx, const Tensor& gate, Saved& s) {
  // Capacities from each group's token count, stable sort by expert, capacity cuts.
  const int k = cfg_.top_k, e = cfg_.num_experts;
  float cf = ctx.training ? cfg_.capacity_factor_train : cfg_.capacity_factor_eval;
  if (ctx.dropless) cf = 0.f;  // decoding: batch-independent results
  Tensor capacity = Tensor::empty({e}, DType::i32, gate.device());
  ops::moe_capacity(s.groups, cf, k, cfg_.min_capacity, cfg_.experts_per_group(), capacity);
  if (exchanging(ctx) && cf > 0.f) {
    // Dropless plans needs no counts; capped ones take their capacity from the whole group.
    s.plan = make_plan(s.route.expert(), gate, capacity);
    capacity = global_capacity(ctx, s, cf);
  }
  if (kept_.defined()) {  // sub-model: slots of absent experts are dropped
    if (kept_.device() != gate.device()) kept_ = kept_.to(gate.device());
    ops::moe_keep_experts(kept_, capacity);
  }
  s.plan = make_plan(s.route.expert(), gate, capacity);
  s.plan.read_offsets_to_host();  // the one host read: it sizes the buffer and expert GEMMs
}

Tensor MoeLayer::global_capacity(const nn::Ctx& ctx, const Saved& s, float cf) const {
  // Every rank's demand per expert (before any cut; s.plan was made without limits). A group's
  // experts receive k slots per valid token of the group, so the global token count of group g
  // is its experts' global demand / k, and capacity follows ops::moe_capacity's formula. When
  // an expert overflows, lower ranks' slots win: rank r keeps at most C_e minus the demand of
  // ranks 0..r-1 (inside a rank, choice-major order as on one process).
  const int e = cfg_.num_experts, epg = cfg_.experts_per_group();
  const int ranks = ep_->size(), me = ep_->rank();
  std::vector<int64_t> mine;
  for (int32_t d : s.plan.demand.to_ivector()) mine.push_back(d);  // E integers to the host
  std::vector<int64_t> send;
  for (int r = 0; r < ranks; ++r) send.insert(send.end(), mine.begin(), mine.end());
  const std::vector<int64_t> all =
      dist::exchange_count_blocks(*ep_, send, e, context(ctx, "capacity"));
  std::vector<int32_t> cap(e);
  for (int g0 = 0; g0 < e; g0 += epg) {
    int64_t slots = 0;
    for (int r = 0; r < ranks; ++r)
      for (int x = g0; x < g0 + epg; ++x) slots += all[r * e + x];
    const double c = std::ceil(static_cast<double>(cf) * static_cast<double>(slots) / epg);
    const int64_t global = std::min<int64_t>(std::max(cfg_.min_capacity, static_cast<int64_t>(c)),
                                             ops::kUnlimitedCapacity);
    for (int x = g0; x < g0 + epg; ++x) {
      int64_t before = 0;
      for (int r = 0; r < me; ++r) before += all[r * e + x];
      cap[x] = static_cast<int32_t>(std::max<int64_t>(0, global - before));
    }
  }
  return Tensor::from_vector(cap, {e}).to(s.plan.demand.device());
}

Tensor MoeLayer::forward(nn::Ctx& ctx, const Tensor& x, Saved& s) {
  // x is (N, D); out is (N, D).
  MOEMT_CHECK(x.shape().cols() == d_model_, "{}: input {} for d_model {}", name_, x.shape().str(),
              d_model_);
  const int64_t n = x.shape().rows();
  const Device dev = x.device();
  s = {};
  Tensor gate = route(ctx, x, s);
  plan(ctx, gate, s);

  // Dispatch: token rows into expert-contiguous rows; with expert parallelism they then go to
  // the ranks of their experts (counts first, then the rows) and are regrouped by expert.
  Tensor xp = Tensor::empty({s.plan.num_rows(), d_model_}, DType::f32, dev);
  ops::permute(x, s.plan.row, Tensor(), xp);
  // Experts: one GEMM pair per (local) expert over its rows from every rank.
  if (exchanging(ctx)) {
    exchange_expert_counts(*ep_, s.plan.host_offsets, s.exchange, context(ctx, "dispatch"));
    Tensor xe = to_experts(*ep_, s.exchange, xp, context(ctx, "dispatch"));
    Tensor ye = experts_.forward_grouped(xe, s.exchange.offsets, s.experts);
    s.y_perm = from_experts(*ep_, s.exchange, ye, context(ctx, "combine"));
  } else {
    s.y_perm = experts_.forward_grouped(xp, s.plan.host_offsets, s.experts);
  }
  // Combine: gate-weighted sum of each token's expert rows, plus the shared experts.
  Tensor out = Tensor::empty({n, d_model_}, DType::f32, dev);
  ops::unpermute_combine(s.y_perm, s.plan.row, s.plan.gate, out, 0.f);
  if (shared_) shared_->forward_all(x, out, s.shared);

  if (ctx.routing_stats != nullptr || ctx.on_routing) report_routing(ctx, s);
  return out;
}

void MoeLayer::report_routing(nn::Ctx& ctx, const Saved& s) const {
  // Host reads for statistics and traces only, never on the compute path.
  const HostRoutingPlan plan = s.plan.read_to_host();
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
    ctx.routing_stats->record(name_, plan, Router::read_entropy_sum_to_host(s.route), token_lang);
  }
  if (ctx.on_routing) ctx.on_routing(name_, plan);
}

Tensor MoeLayer::backward(nn::Ctx& ctx, const Tensor& dy, const Saved& s) {
  const int64_t n = dy.shape().rows();
  const int k = cfg_.top_k;
  const Device dev = dy.device();
  MOEMT_CHECK(n == s.plan.num_tokens, "{}: backward of {} rows after forward of {}", name_, n,
              s.plan.num_tokens);
  Tensor dx = Tensor::zeros({n, d_model_}, DType::f32, dev);
  if (shared_) ops::add_inplace(dx, shared_->backward(dy, s.shared));

  // Combine: out[t] = sum_j gate[t,j] * y_perm[row[t,j]], so
  // dgate[t,j] = dot(dy[t], y_perm[row[t,j]]) and dy_perm[row[t,j]] = gate[t,j] * dy[t].
  Tensor dgate = Tensor::empty({n, k}, DType::f32, dev);
  ops::combine_weight_grad(dy, s.y_perm, s.plan.row, dgate);
  Tensor dyp = Tensor::empty({s.plan.num_rows(), d_model_}, DType::f32, dev);
  ops::permute(dy, s.plan.row, s.plan.gate, dyp);
  // Experts (on the ranks that ran them: the rows travel as in forward and back), then
  // dispatch: xp[row[t,j]] = x[t], so dx[t] += sum_j dxp[row[t,j]].
  Tensor dxp;
  if (s.exchange.active) {
    MOEMT_CHECK(ep_ != nullptr, "{}: expert-parallel backward without an expert group", name_);
    Tensor dye = to_experts(*ep_, s.exchange, dyp, context(ctx, "combine backward"));
    Tensor dxe = experts_.backward(dye, s.experts);
    dxp = from_experts(*ep_, s.exchange, dxe, context(ctx, "dispatch backward"));
  } else {
    dxp = experts_.backward(dyp, s.experts);
  }
  ops::unpermute_combine(dxp, s.plan.row, Tensor(), dx, 1.f);

  // Route: gate = g2 * pg (learned groups): dg2 = dgate * pg, dpg = sum_j dgate * g2.
  if (group_router_) {
    Tensor dpg = Tensor::empty({n, 1}, DType::f32, dev);
    ops::moe_gate_scale_backward(dgate, s.route.gate(), s.group_route.gate(), dgate, dpg);
    ops::add_inplace(dx, group_router_->backward(dpg, aux_grad_scale_, s.group_route));
  }
  ops::add_inplace(dx, router_.backward(dgate, aux_grad_scale_, s.route));
  return dx;
}

namespace {
struct CallState : nn::FfnBlock::State {
  MoeLayer::Saved saved;
};
}  // namespace

Tensor MoeLayer::forward_saving(nn::Ctx& ctx, const Tensor& x, std::shared_ptr<State>& saved) {
  auto s = std::make_shared<CallState>();
  Tensor y = forward(ctx, x, s->saved);
  saved = std::move(s);
  return y;
}

Tensor MoeLayer::backward_from(nn::Ctx& ctx, const Tensor& dy, const State* saved) {
  const auto* s = dynamic_cast<const CallState*>(saved);
  MOEMT_CHECK(s != nullptr, "MoeLayer::backward_from without its forward's state");
  return backward(ctx, dy, s->saved);
}

}  // namespace moemt::moe
