// MoeLayer forward and backward. N tokens, D model width, E experts, k choices, M kept slots.
#include "moe/moe_layer.h"

#include "moe/routing_stats.h"
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
const MoeConfig& validated(const MoeConfig& c, const std::string& name) {
  c.validate(name);
  MOEMT_CHECK(c.every > 0, "MoeLayer {} built for a stack without MoE layers", name);
  return c;
}
void add_into(Tensor& y, const Tensor& x) {
  float* py = y.data<float>();
  const float* px = x.data<float>();
  int64_t n = y.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) py[i] += px[i];
}
}  // namespace

MoeLayer::MoeLayer(ParamStore& ps, const std::string& name, const MoeConfig& cfg, int64_t d_model,
                   int64_t d_ff, ops::Activation act)
    : name_(name),
      cfg_(validated(cfg, name)),
      d_model_(d_model),
      router_(ps, name + ".router", d_model, expert_router_options(cfg)),
      experts_(ps, name + ".experts", cfg.num_experts, d_model,
               cfg.expert_d_ff > 0 ? cfg.expert_d_ff : d_ff, act, ParamGroup::expert) {
  if (cfg.group_by == GroupBy::learned)
    group_router_.emplace(ps, name + ".group_router", d_model, group_router_options(cfg));
  if (cfg.num_shared_experts > 0)
    shared_.emplace(ps, name + ".shared", cfg.num_shared_experts, d_model,
                    cfg.shared_d_ff > 0 ? cfg.shared_d_ff : experts_.d_ff(), act,
                    ParamGroup::dense);
}

std::vector<int32_t> MoeLayer::token_groups(nn::Ctx& ctx, const Tensor& x) {
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
  } else if (group_router_) {
    group_router_->forward(ctx, x, g);
    const auto& chosen = group_router_->expert();
    for (int64_t t = 0; t < n; ++t) g[t] = g[t] < 0 ? -1 : chosen[t];
  }
  return g;
}

Tensor MoeLayer::forward(nn::Ctx& ctx, const Tensor& x) {
  // x is (N, D); out is (N, D).
  MOEMT_CHECK(x.shape().cols() == d_model_, "{}: input {} for d_model {}", name_, x.shape().str(),
              d_model_);
  const int64_t n = x.shape().rows();
  const int k = cfg_.top_k, e = cfg_.num_experts, eg = cfg_.experts_per_group();
  groups_ = token_groups(ctx, x);
  router_.forward(ctx, x, groups_);

  // gate = level-2 gate, times the level-1 group gate when that is learned.
  std::vector<float> gate = router_.gate();
  if (group_router_) {
    const auto& pg = group_router_->gate();
    for (int64_t t = 0; t < n; ++t)
      for (int j = 0; j < k; ++j) gate[t * k + j] *= pg[t];
  }
  std::vector<int64_t> group_tokens(cfg_.num_groups, 0);
  for (int32_t g : groups_)
    if (g >= 0) ++group_tokens[g];
  float cf = ctx.training ? cfg_.capacity_factor_train : cfg_.capacity_factor_eval;
  if (ctx.dropless) cf = 0.f;  // decoding: batch-independent results
  plan_ = make_plan(router_.expert(), std::move(gate), n, k, e,
                    expert_capacities(cf, k, cfg_.min_capacity, group_tokens, eg));

  // permute -> one GEMM per expert -> weighted combine back to token order.
  rows_ = plan_.row_tensor();
  gates_ = plan_.gate_tensor();
  Tensor xp = Tensor::empty({plan_.num_rows(), d_model_}, DType::f32, x.device());
  ops::permute(x, rows_, Tensor(), xp);
  y_perm_ = experts_.forward_grouped(xp, plan_.offsets);
  Tensor out = Tensor::empty({n, d_model_}, DType::f32, x.device());
  ops::unpermute_combine(y_perm_, rows_, gates_, out, 0.f);
  if (shared_) shared_->forward_all(x, out);

  last_aux_ = router_.aux_loss() + (group_router_ ? group_router_->aux_loss() : 0.0);
  ctx.aux_loss += last_aux_;
  if (ctx.routing_stats != nullptr) {
    const auto& langs = ctx.stack == 0 ? ctx.src_lang : ctx.tgt_lang;
    std::vector<int32_t> token_lang;
    if (!langs.empty()) {
      const int64_t rps = std::max<int64_t>(1, ctx.rows_per_sentence);
      token_lang.resize(n);
      for (int64_t t = 0; t < n; ++t)
        token_lang[t] = t / rps < static_cast<int64_t>(langs.size()) ? langs[t / rps] : -1;
    }
    ctx.routing_stats->record(name_, plan_, router_.entropy_sum(), token_lang);
  }
  if (ctx.on_routing) ctx.on_routing(name_, plan_);
  return out;
}

Tensor MoeLayer::backward(nn::Ctx& ctx, const Tensor& dy) {
  (void)ctx;
  const int64_t n = dy.shape().rows();
  const int k = cfg_.top_k;
  MOEMT_CHECK(n == plan_.num_tokens, "{}: backward of {} rows after forward of {}", name_, n,
              plan_.num_tokens);
  Tensor dx = Tensor::zeros({n, d_model_}, DType::f32, dy.device());
  if (shared_) add_into(dx, shared_->backward(dy));

  // In the forward, out[t] = sum_j gate[t,j] * y_perm[row[t,j]]: so
  // dgate[t,j] = dot(dy[t], y_perm[row[t,j]]) and dy_perm[row[t,j]] = gate[t,j] * dy[t].
  Tensor dgate_t = Tensor::empty({n, k});
  ops::combine_weight_grad(dy, y_perm_, rows_, dgate_t);
  Tensor dyp = Tensor::empty({plan_.num_rows(), d_model_}, DType::f32, dy.device());
  ops::permute(dy, rows_, gates_, dyp);
  Tensor dxp = experts_.backward(dyp);
  // xp[row[t,j]] = x[t]: dx[t] += sum_j dxp[row[t,j]].
  ops::unpermute_combine(dxp, rows_, Tensor(), dx, 1.f);

  // gate = g2 * pg (learned groups): dg2 = dgate * pg, dpg = sum_j dgate * g2.
  std::vector<float> dgate = dgate_t.to_vector();
  if (group_router_) {
    const auto& pg = group_router_->gate();
    const auto& g2 = router_.gate();
    std::vector<float> dpg(n, 0.f);
    for (int64_t t = 0; t < n; ++t)
      for (int j = 0; j < k; ++j) {
        dpg[t] += dgate[t * k + j] * g2[t * k + j];
        dgate[t * k + j] *= pg[t];
      }
    add_into(dx, group_router_->backward(dpg, aux_grad_scale_));
  }
  add_into(dx, router_.backward(dgate, aux_grad_scale_));
  return dx;
}

}  // namespace moemt::moe
