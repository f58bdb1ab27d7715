// CPU balancing losses. Every loss is computed in double from the router's f32 tensors (each
// element is widened as it is read), as the host router always did. Each block computes the loss as
// in its paper and, right after, its gradient, so the two can be read side by side.
#include <algorithm>
#include <limits>
#include <vector>

#include "ops/balance_loss.h"
#include "ops/math/balance.h"
#include "ops/router_math.h"

namespace moemt::ops::cpu {

namespace {
using namespace router_math;

// One router level's forward state, row-major (n, e) unless noted. Tensors a loss does not
// read may be null (noise_std is null without noise).
struct View {
  int64_t n = 0;
  int e = 0, eg = 0, k = 0, ktop = 0, groups = 0;
  const int32_t* group = nullptr;  // (n), -1 = padding (ignored everywhere)
  const int32_t* top = nullptr;    // (n, ktop)
  const float *h = nullptr, *p = nullptr, *clean = nullptr, *noise_std = nullptr;
  const float* gate = nullptr;  // (n, k)
  std::vector<int64_t> group_tokens;
  int64_t valid = 0;
  double share(int g) const { return static_cast<double>(group_tokens[g]) / valid; }
};
// The f32 gradient tensors the losses add into; null where no enabled loss writes.
struct Grads {
  float *dgate = nullptr, *dp = nullptr, *dh = nullptr, *dclean = nullptr, *dstd = nullptr;
};

float* data_or_null(const Tensor& t) {
  return t.defined() && t.numel() > 0 ? t.data<float>() : nullptr;
}

View make_view(const RouterGateOptions& o, const GateTensors& t) {
  View v;
  v.n = t.clean.size(0);
  v.e = static_cast<int>(t.clean.size(1));
  v.eg = v.e / o.num_groups;
  v.k = o.k;
  v.ktop = o.ktop;
  v.groups = o.num_groups;
  v.group = t.group.data<int32_t>();
  v.top = t.top.data<int32_t>();
  v.h = t.h.data<float>();
  v.p = t.probs.data<float>();
  v.clean = t.clean.data<float>();
  v.gate = t.gate.data<float>();
  v.noise_std = t.noisy() ? t.noise_std.data<float>() : nullptr;
  v.group_tokens.assign(v.groups, 0);
  for (int64_t r = 0; r < v.n; ++r)
    if (v.group[r] >= 0) ++v.group_tokens[v.group[r]], ++v.valid;
  return v;
}

// Sum over groups of share * CV(x restricted to the group)^2, gradient into d when not null.
double grouped_cv(const View& v, const std::vector<double>& x, double* d, double scale) {
  double out = 0;
  for (int grp = 0; grp < v.groups; ++grp) {
    if (v.group_tokens[grp] == 0) continue;
    double w = v.share(grp);
    out += w * math::cv_squared(x.data() + grp * v.eg, v.eg, d ? d + grp * v.eg : nullptr,
                                scale * w);
  }
  return out;
}

// Importance (Shazeer eq. 6): Importance_i = sum over tokens of gate_i; L = CV(Importance)^2,
// taken within each group and weighted by the group's token share.
double importance_loss(const View& v, Grads* g, double scale) {
  std::vector<double> imp(v.e, 0.0), dimp(v.e, 0.0);
  for (int64_t t = 0; t < v.n; ++t) {
    if (v.group[t] < 0) continue;
    for (int j = 0; j < v.k; ++j) imp[v.top[t * v.ktop + j]] += v.gate[t * v.k + j];
  }
  double out = grouped_cv(v, imp, g ? dimp.data() : nullptr, scale);
  if (g)  // forward: imp[top] += gate, so dgate += dimp[top]
    for (int64_t t = 0; t < v.n; ++t) {
      if (v.group[t] < 0) continue;
      for (int j = 0; j < v.k; ++j) g->dgate[t * v.k + j] += dimp[v.top[t * v.ktop + j]];
    }
  return out;
}

// The load loss's z of expert i for token t (ops/math/balance.h).
double load_z(const View& v, int64_t t, int i, int* kth, bool* fixed) {
  return math::load_z(v.top + t * v.ktop, v.ktop, v.k, v.h + t * v.e, v.clean + t * v.e,
                      v.noise_std ? v.noise_std + t * v.e : nullptr, i, kth, fixed);
}

// Load (Shazeer Appendix A): P(x,i) = Phi(z), the probability that expert i stays in the top k
// if only its own noise were redrawn; Load_i = sum over tokens of P(x,i); L = CV(Load)^2.
double load_loss(const View& v, Grads* g, double scale) {
  std::vector<double> load(v.e, 0.0), dload(v.e, 0.0);
  for (int64_t t = 0; t < v.n; ++t) {
    int grp = v.group[t];
    if (grp < 0) continue;
    for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i) {
      int kth = -1;
      bool fixed;
      double z = load_z(v, t, i, &kth, &fixed);
      load[i] += fixed ? 1.0 : normal_cdf(z);
    }
  }
  double out = grouped_cv(v, load, g ? dload.data() : nullptr, scale);
  if (!g) return out;
  // dP = dLoad_i; z = (clean_i - h_kth) / std_i with h_kth = clean_kth + eps_kth std_kth:
  // dclean_i += dz / std_i, dstd_i -= dz z / std_i, dh_kth -= dz / std_i.
  for (int64_t t = 0; t < v.n; ++t) {
    int grp = v.group[t];
    if (grp < 0) continue;
    for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i) {
      int kth = -1;
      bool fixed;
      double z = load_z(v, t, i, &kth, &fixed);
      if (fixed) continue;
      double sd = v.noise_std[t * v.e + i];
      double dz = dload[i] * normal_pdf(z);
      g->dclean[t * v.e + i] += dz / sd;
      g->dstd[t * v.e + i] -= dz * z / sd;
      g->dh[t * v.e + kth] -= dz / sd;
    }
  }
  return out;
}

// Switch / GShard auxiliary loss: E_g * sum_i f_i P_i with f_i the fraction of the group's
// routing choices that went to i (not differentiable) and P_i the mean router probability.
double switch_loss(const View& v, Grads* g, double scale) {
  std::vector<double> f(v.e, 0.0), pm(v.e, 0.0);
  for (int64_t t = 0; t < v.n; ++t) {
    if (v.group[t] < 0) continue;
    for (int j = 0; j < v.k; ++j) f[v.top[t * v.ktop + j]] += 1.0;
    for (int i = 0; i < v.e; ++i) pm[i] += v.p[t * v.e + i];
  }
  double out = 0;
  for (int grp = 0; grp < v.groups; ++grp) {
    double ng = static_cast<double>(v.group_tokens[grp]);
    if (ng == 0) continue;
    double s = 0;
    for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i) s += (f[i] / (ng * v.k)) * (pm[i] / ng);
    out += v.share(grp) * v.eg * s;
  }
  if (g)  // d/dp_ti = share * E_g * f_i / (N_g k) / N_g = E_g f_i / (N_g k valid)
    for (int64_t t = 0; t < v.n; ++t) {
      int grp = v.group[t];
      if (grp < 0) continue;
      double ng = static_cast<double>(v.group_tokens[grp]);
      for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i)
        g->dp[t * v.e + i] += scale * v.eg * f[i] / (ng * v.k) / v.valid;
    }
  return out;
}

// Router z-loss (ST-MoE): mean over tokens of logsumexp(h)^2, over the candidates.
double z_loss(const View& v, Grads* g, double scale) {
  double out = 0;
  for (int64_t t = 0; t < v.n; ++t) {
    int grp = v.group[t];
    if (grp < 0) continue;
    const float* h = v.h + t * v.e;
    double mx = -std::numeric_limits<double>::infinity();
    for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i)
      mx = std::max(mx, static_cast<double>(h[i]));
    double s = 0;
    for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i) s += std::exp(h[i] - mx);
    double lse = mx + std::log(s);
    out += lse * lse / v.valid;
    if (g)  // d lse / d h_i = p_i
      for (int i = grp * v.eg; i < (grp + 1) * v.eg; ++i)
        g->dh[t * v.e + i] += scale * 2.0 * lse / v.valid * v.p[t * v.e + i];
  }
  return out;
}

// All enabled losses; grads (scaled by scale * coef) when g is not null.
void losses(const View& v, const BalanceCoefs& c, bool noisy, Grads* g, double scale, double* out) {
  std::fill(out, out + kNumBalanceLosses, 0.0);
  if (v.valid == 0) return;
  if (c.importance > 0) out[kImportance] = importance_loss(v, g, scale * c.importance);
  if (c.load > 0 && noisy) out[kLoad] = load_loss(v, g, scale * c.load);
  if (c.switch_aux > 0) out[kSwitch] = switch_loss(v, g, scale * c.switch_aux);
  if (c.z > 0) out[kZ] = z_loss(v, g, scale * c.z);
}

}  // namespace

void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum) {
  double out[kNumBalanceLosses] = {0, 0, 0, 0};
  if (c.any()) losses(make_view(o, t), c, t.noisy(), nullptr, 1.0, out);
  float* pv = values.data<float>();
  for (int i = 0; i < kNumBalanceLosses; ++i) pv[i] = static_cast<float>(out[i]);
  if (aux_sum.defined())
    aux_sum.data<float>()[0] +=
        static_cast<float>(c.importance * out[kImportance] + c.load * out[kLoad] +
                           c.switch_aux * out[kSwitch] + c.z * out[kZ]);
}

void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g) {
  if (!c.any()) return;
  Grads d;
  d.dgate = g.dgate.data<float>();
  d.dp = data_or_null(g.dprobs);
  d.dh = data_or_null(g.dh);
  d.dclean = data_or_null(g.dclean);
  d.dstd = data_or_null(g.dstd);
  double out[kNumBalanceLosses];
  losses(make_view(o, t), c, t.noisy(), &d, scale, out);
}

}  // namespace moemt::ops::cpu
