// Router forward and backward. Shapes: x (N, D), Wg and Wnoise (D, E), logits (N, E).
#include "moe/router.h"

#include <cmath>
#include <limits>

#include "ops/gemm.h"
#include "ops/topk.h"

namespace moemt::moe {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
double softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }
double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
}  // namespace

Router::Router(ParamStore& ps, const std::string& name, int64_t d_model, const RouterOptions& opt)
    : opt_(opt), d_model_(d_model) {
  MOEMT_CHECK(opt.num_groups >= 1 && opt.num_experts % opt.num_groups == 0 && opt.k >= 1 &&
                  opt.k <= opt.num_experts / opt.num_groups,
              "router options E={} G={} k={}", opt.num_experts, opt.num_groups, opt.k);
  wg_ = ps.add(name + ".wg", {d_model, opt.num_experts}, InitSpec::Normal(opt.init_std));
  if (opt.noisy) wnoise_ = ps.add(name + ".wnoise", {d_model, opt.num_experts}, InitSpec::Zeros());
}

GateView Router::view() const {
  GateView v;
  v.n = n_;
  v.e = opt_.num_experts;
  v.eg = opt_.num_experts / opt_.num_groups;
  v.k = opt_.k;
  v.group = group_.data();
  v.h = h_.data();
  v.p = p_.data();
  v.clean = clean_.data();
  v.noise_std = noise_on_ ? std_.data() : nullptr;
  v.top = top_.data();
  v.ktop = ktop_;
  v.gate = gate_.data();
  return v;
}

void Router::forward(nn::Ctx& ctx, const Tensor& x, const std::vector<int32_t>& group) {
  const int e = opt_.num_experts, eg = e / opt_.num_groups, k = opt_.k;
  n_ = x.shape().rows();
  MOEMT_CHECK(static_cast<int64_t>(group.size()) == n_, "router groups {} for {} rows",
              group.size(), n_);
  x_ = x;
  group_ = group;
  noise_on_ = opt_.noisy && ctx.training && opt_.noise_scale > 0.f;
  const int64_t ne = n_ * e;

  // clean = x Wg (the GEMM is f32; everything after it is double).
  Tensor logits = Tensor::empty({n_, e}, DType::f32, x.device());
  ops::gemm(x, false, wg_.w(), false, logits);
  auto lv = logits.to_vector();
  clean_.assign(lv.begin(), lv.end());
  h_ = clean_;
  if (noise_on_) {
    // H = clean + N(0,1) * noise_scale * softplus(x Wnoise)   (Shazeer et al. eq. 4)
    ops::gemm(x, false, wnoise_.w(), false, logits);
    auto rv = logits.to_vector();
    raw_.assign(rv.begin(), rv.end());
    eps_.resize(ne);
    std_.resize(ne);
    RngStream rng = ctx.next_rng();
    for (int64_t i = 0; i < ne; ++i) {
      eps_[i] = rng.normal(static_cast<uint64_t>(i));
      std_[i] = opt_.noise_scale * softplus(raw_[i]);
      h_[i] += eps_[i] * std_[i];
    }
  }
  // Restrict each token to its group's experts; padding rows are routed nowhere.
  for (int64_t t = 0; t < n_; ++t) {
    int g = group_[t];
    MOEMT_CHECK(g < opt_.num_groups, "group {} of {}", g, opt_.num_groups);
    for (int i = 0; i < e; ++i)
      if (g < 0 ? i > 0 : (i < g * eg || i >= (g + 1) * eg)) h_[t * e + i] = kNegInf;
  }
  // Top-k (k+1 when the load loss needs the k-th value excluding each expert).
  ktop_ = (opt_.coefs.load > 0 && noise_on_) ? std::min(k + 1, e) : k;
  {
    std::vector<float> hf(h_.begin(), h_.end());
    Tensor ht = Tensor::from_vector(hf, {n_, e});
    Tensor vals = Tensor::empty({n_, ktop_});
    Tensor idx = Tensor::empty({n_, ktop_}, DType::i32);
    ops::topk(ht, ktop_, vals, idx);
    top_ = idx.to_ivector();
  }
  // p = softmax(H) over the candidates; gates from the top k.
  p_.assign(ne, 0.0);
  gate_.assign(n_ * k, 0.0);
  gate_f_.assign(n_ * k, 0.f);
  expert_.assign(n_ * k, -1);
  for (int64_t t = 0; t < n_; ++t) {
    if (group_[t] < 0) continue;
    const double* h = h_.data() + t * e;
    double* p = p_.data() + t * e;
    const int32_t* top = top_.data() + t * ktop_;
    double mx = h[top[0]], s = 0;
    for (int i = 0; i < e; ++i) s += (p[i] = std::isfinite(h[i]) ? std::exp(h[i] - mx) : 0.0);
    for (int i = 0; i < e; ++i) p[i] /= s;
    double kept = 0;
    for (int j = 0; j < k; ++j) kept += p[top[j]];
    for (int j = 0; j < k; ++j) {
      double gv = opt_.renormalize ? p[top[j]] / kept : p[top[j]];
      gate_[t * k + j] = gv;
      gate_f_[t * k + j] = static_cast<float>(gv);
      expert_[t * k + j] = top[j];
    }
  }
  values_ = balance_losses(view(), opt_.coefs, nullptr, 1.0);
}

double Router::entropy_sum() const {
  const int e = opt_.num_experts;
  double s = 0;
  for (int64_t t = 0; t < n_; ++t) {
    if (group_[t] < 0) continue;
    for (int i = 0; i < e; ++i) {
      double p = p_[t * e + i];
      if (p > 0) s -= p * std::log(p);
    }
  }
  return s;
}

Tensor Router::backward(const std::vector<float>& dgate_in, double aux_scale) {
  const int e = opt_.num_experts, k = opt_.k;
  const int64_t ne = n_ * e;
  MOEMT_CHECK(static_cast<int64_t>(dgate_in.size()) == n_ * k, "router dgate size {}",
              dgate_in.size());
  BalanceGrads g;
  g.dgate.assign(dgate_in.begin(), dgate_in.end());
  g.dp.assign(ne, 0.0);
  g.dh.assign(ne, 0.0);
  g.dclean.assign(ne, 0.0);
  g.dstd.assign(ne, 0.0);
  balance_losses(view(), opt_.coefs, &g, aux_scale);

  for (int64_t t = 0; t < n_; ++t) {
    if (group_[t] < 0) continue;
    const int32_t* top = top_.data() + t * ktop_;
    const double* p = p_.data() + t * e;
    const double* dg = g.dgate.data() + t * k;
    double* dp = g.dp.data() + t * e;
    double* dh = g.dh.data() + t * e;
    if (opt_.renormalize) {
      // gate_j = softmax over the kept logits: dh_j = gate_j (dgate_j - sum_i gate_i dgate_i).
      const double* gt = gate_.data() + t * k;
      double s = 0;
      for (int j = 0; j < k; ++j) s += gt[j] * dg[j];
      for (int j = 0; j < k; ++j) dh[top[j]] += gt[j] * (dg[j] - s);
    } else {
      for (int j = 0; j < k; ++j) dp[top[j]] += dg[j];  // gate_j = p[top_j]
    }
    // p = softmax(h): dh_i += p_i (dp_i - sum_l p_l dp_l).
    double s = 0;
    for (int i = 0; i < e; ++i) s += p[i] * dp[i];
    for (int i = 0; i < e; ++i)
      if (p[i] > 0) dh[i] += p[i] * (dp[i] - s);
  }
  // h = clean + eps * std, std = noise_scale * softplus(raw).
  std::vector<float> dclean(ne), draw;
  for (int64_t i = 0; i < ne; ++i) dclean[i] = static_cast<float>(g.dclean[i] + g.dh[i]);
  if (noise_on_) {
    draw.resize(ne);
    for (int64_t i = 0; i < ne; ++i)
      draw[i] =
          static_cast<float>((g.dstd[i] + g.dh[i] * eps_[i]) * opt_.noise_scale * sigmoid(raw_[i]));
  }
  // clean = x Wg: dWg += x^T dclean, dx = dclean Wg^T (and the same for the noise path).
  Tensor dc = Tensor::from_vector(dclean, {n_, e});
  Tensor dx = Tensor::empty({n_, d_model_}, DType::f32, x_.device());
  Tensor gw = wg_.g();
  ops::gemm(x_, true, dc, false, gw, 1.f, 1.f);
  ops::gemm(dc, false, wg_.w(), true, dx, 1.f, 0.f);
  if (noise_on_) {
    Tensor dr = Tensor::from_vector(draw, {n_, e});
    Tensor gn = wnoise_.g();
    ops::gemm(x_, true, dr, false, gn, 1.f, 1.f);
    ops::gemm(dr, false, wnoise_.w(), true, dx, 1.f, 1.f);
  }
  return dx;
}

}  // namespace moemt::moe
