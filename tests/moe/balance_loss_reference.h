// REFERENCE for tests only: the host balancing losses as they were before they became ops
// (src/moe/balance_loss.{h,cc} at 508a850), verbatim but for `inline` and the namespace.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace moemt::moe::reference {

struct BalanceCoefs {
  double importance = 0, load = 0, switch_aux = 0, z = 0;
  bool any() const { return importance > 0 || load > 0 || switch_aux > 0 || z > 0; }
};

// The unweighted loss values (each is what its coefficient multiplies).
struct BalanceValues {
  double importance = 0, load = 0, switch_aux = 0, z = 0;
  double weighted(const BalanceCoefs& c) const {
    return c.importance * importance + c.load * load + c.switch_aux * switch_aux + c.z * z;
  }
};

// One router level's forward state, host arrays, row-major (n, e) unless noted. Experts of
// group g are [g*eg, (g+1)*eg); a token only has candidates inside its group.
struct GateView {
  int64_t n = 0;
  int e = 0, eg = 0, k = 0;
  const int32_t* group = nullptr;     // (n) token's group, -1 = padding (ignored everywhere)
  const double* h = nullptr;          // logits fed to the softmax (noisy in training)
  const double* p = nullptr;          // softmax of h over the candidates, 0 elsewhere
  const double* clean = nullptr;      // x Wg; only read by the load loss
  const double* noise_std = nullptr;  // (n, e) noise std; null when there is no noise
  const int32_t* top = nullptr;       // (n, ktop) indices of h, largest first
  int ktop = 0;                       // k, or k + 1 when the load loss is on
  const double* gate = nullptr;       // (n, k) gate of each choice
};

// Gradients the losses add (+=) into, sized by the caller: dgate (n*k), dp, dh, dclean, dstd
// (n*e each).
struct BalanceGrads {
  std::vector<double> dgate, dp, dh, dclean, dstd;
};

namespace {
constexpr double kEps = 1e-10;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;
double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }
double normal_pdf(double z) { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }
}  // namespace

inline double cv_squared(const double* x, int m, double* d, double scale) {
  if (m <= 1) return 0.0;
  double mean = 0;
  for (int i = 0; i < m; ++i) mean += x[i];
  mean /= m;
  double var = 0;
  for (int i = 0; i < m; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= m;
  double den = mean * mean + kEps;
  if (d != nullptr) {
    // c = var / den: dvar/dx_i = 2 (x_i - mean) / m, dden/dx_i = 2 mean / m.
    for (int i = 0; i < m; ++i)
      d[i] += scale * (2.0 * (x[i] - mean) / m / den - var * 2.0 * mean / m / (den * den));
  }
  return var / den;
}

inline BalanceValues balance_losses(const GateView& v, const BalanceCoefs& c, BalanceGrads* g,
                                    double scale) {
  BalanceValues out;
  const int e = v.e, eg = v.eg, k = v.k;
  const int groups = e / eg;
  std::vector<int64_t> group_tokens(groups, 0);
  int64_t valid = 0;
  for (int64_t t = 0; t < v.n; ++t)
    if (v.group[t] >= 0) ++group_tokens[v.group[t]], ++valid;
  if (valid == 0) return out;
  auto share = [&](int grp) { return static_cast<double>(group_tokens[grp]) / valid; };

  // Importance (Shazeer eq. 6): Importance_i = sum over tokens of gate_i; L = CV(Importance)^2,
  // taken within each group and weighted by the group's token share.
  if (c.importance > 0) {
    std::vector<double> imp(e, 0.0), dimp(e, 0.0);
    for (int64_t t = 0; t < v.n; ++t) {
      if (v.group[t] < 0) continue;
      for (int j = 0; j < k; ++j) imp[v.top[t * v.ktop + j]] += v.gate[t * k + j];
    }
    for (int grp = 0; grp < groups; ++grp) {
      if (group_tokens[grp] == 0) continue;
      double w = share(grp);
      out.importance +=
          w * cv_squared(imp.data() + grp * eg, eg, g ? dimp.data() + grp * eg : nullptr,
                         scale * c.importance * w);
    }
    if (g)  // forward: imp[top] += gate, so dgate += dimp[top]
      for (int64_t t = 0; t < v.n; ++t) {
        if (v.group[t] < 0) continue;
        for (int j = 0; j < k; ++j) g->dgate[t * k + j] += dimp[v.top[t * v.ktop + j]];
      }
  }

  // Load (Shazeer Appendix A): P(x,i) = Phi((clean_i - kth_excluding(H, k, i)) / std_i), the
  // probability that expert i stays in the top k if only its own noise were redrawn;
  // Load_i = sum over tokens of P(x,i); L = CV(Load)^2.
  if (c.load > 0 && v.noise_std != nullptr) {
    std::vector<double> load(e, 0.0), dload(e, 0.0);
    // kth_excluding(i): the k-th largest of the other candidates, i.e. top[k] if i is among
    // the top k, else top[k-1]. -inf (fewer than k+1 candidates) means i is always kept.
    auto kth_index = [&](int64_t t, int i) {
      const int32_t* top = v.top + t * v.ktop;
      for (int j = 0; j < k; ++j)
        if (top[j] == i) return top[k];
      return top[k - 1];
    };
    auto z_of = [&](int64_t t, int i, int* kth, bool* fixed) {
      if (v.ktop <= k) {  // as many candidates as choices: every expert is always kept
        *fixed = true;
        return 0.0;
      }
      *kth = kth_index(t, i);
      double hk = v.h[t * e + *kth];
      *fixed = !std::isfinite(hk);
      return *fixed ? 0.0 : (v.clean[t * e + i] - hk) / v.noise_std[t * e + i];
    };
    for (int64_t t = 0; t < v.n; ++t) {
      int grp = v.group[t];
      if (grp < 0) continue;
      for (int i = grp * eg; i < (grp + 1) * eg; ++i) {
        int kth = -1;
        bool fixed;
        double z = z_of(t, i, &kth, &fixed);
        load[i] += fixed ? 1.0 : normal_cdf(z);
      }
    }
    for (int grp = 0; grp < groups; ++grp) {
      if (group_tokens[grp] == 0) continue;
      double w = share(grp);
      out.load += w * cv_squared(load.data() + grp * eg, eg, g ? dload.data() + grp * eg : nullptr,
                                 scale * c.load * w);
    }
    if (g) {
      // dP = dLoad_i; z = (clean_i - h_kth) / std_i with h_kth = clean_kth + eps_kth std_kth:
      // dclean_i += dz / std_i, dstd_i -= dz z / std_i, dh_kth -= dz / std_i.
      for (int64_t t = 0; t < v.n; ++t) {
        int grp = v.group[t];
        if (grp < 0) continue;
        for (int i = grp * eg; i < (grp + 1) * eg; ++i) {
          int kth = -1;
          bool fixed;
          double z = z_of(t, i, &kth, &fixed);
          if (fixed) continue;
          double sd = v.noise_std[t * e + i];
          double dz = dload[i] * normal_pdf(z);
          g->dclean[t * e + i] += dz / sd;
          g->dstd[t * e + i] -= dz * z / sd;
          g->dh[t * e + kth] -= dz / sd;
        }
      }
    }
  }

  // Switch / GShard auxiliary loss: E_g * sum_i f_i P_i with f_i the fraction of the group's
  // routing choices that went to i (not differentiable) and P_i the mean router probability.
  if (c.switch_aux > 0) {
    std::vector<double> f(e, 0.0), pm(e, 0.0);
    for (int64_t t = 0; t < v.n; ++t) {
      if (v.group[t] < 0) continue;
      for (int j = 0; j < k; ++j) f[v.top[t * v.ktop + j]] += 1.0;
      for (int i = 0; i < e; ++i) pm[i] += v.p[t * e + i];
    }
    for (int grp = 0; grp < groups; ++grp) {
      double ng = static_cast<double>(group_tokens[grp]);
      if (ng == 0) continue;
      double s = 0;
      for (int i = grp * eg; i < (grp + 1) * eg; ++i) s += (f[i] / (ng * k)) * (pm[i] / ng);
      out.switch_aux += share(grp) * eg * s;
    }
    if (g)  // d/dp_ti = share * E_g * f_i / (N_g k) / N_g = E_g f_i / (N_g k valid)
      for (int64_t t = 0; t < v.n; ++t) {
        int grp = v.group[t];
        if (grp < 0) continue;
        double ng = static_cast<double>(group_tokens[grp]);
        for (int i = grp * eg; i < (grp + 1) * eg; ++i)
          g->dp[t * e + i] += scale * c.switch_aux * eg * f[i] / (ng * k) / valid;
      }
  }

  // Router z-loss (ST-MoE): mean over tokens of logsumexp(h)^2, over the candidates.
  if (c.z > 0) {
    for (int64_t t = 0; t < v.n; ++t) {
      int grp = v.group[t];
      if (grp < 0) continue;
      const double* h = v.h + t * e;
      double mx = -std::numeric_limits<double>::infinity();
      for (int i = grp * eg; i < (grp + 1) * eg; ++i) mx = std::max(mx, h[i]);
      double s = 0;
      for (int i = grp * eg; i < (grp + 1) * eg; ++i) s += std::exp(h[i] - mx);
      double lse = mx + std::log(s);
      out.z += lse * lse / valid;
      if (g)  // d lse / d h_i = p_i
        for (int i = grp * eg; i < (grp + 1) * eg; ++i)
          g->dh[t * e + i] += scale * c.z * 2.0 * lse / valid * v.p[t * e + i];
    }
  }
  return out;
}

}  // namespace moemt::moe::reference
