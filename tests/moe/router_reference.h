// REFERENCE for tests only: the host router gating as it was before it became ops
// (src/moe/router.cc at 508a850), starting from the f32 logits instead of x: noisy logits,
// group restriction, top-k (through ops::topk, as before), softmax and gates in double,
// balancing losses, and the backward down to dclean/draw.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "balance_loss_reference.h"
#include "core/rng.h"
#include "ops/topk.h"

namespace moemt::moe::reference {

struct RouterRef {
  // Options as RouterOptions had them.
  int e = 8, groups = 1, k = 2;
  bool renormalize = true;
  float noise_scale = 0.f;  // > 0 with raw given: noisy
  BalanceCoefs coefs;

  // Saved by forward.
  int64_t n_ = 0;
  bool noise_on_ = false;
  std::vector<int32_t> group_;
  std::vector<double> clean_, raw_, eps_, std_, h_, p_, gate_;
  std::vector<int32_t> top_, expert_;
  int ktop_ = 0;
  std::vector<float> gate_f_;
  BalanceValues values_;

  GateView view() const {
    GateView v;
    v.n = n_;
    v.e = e;
    v.eg = e / groups;
    v.k = k;
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

  void forward(const std::vector<float>& clean, const std::vector<float>& raw,
               const std::vector<int32_t>& group, RngStream rng) {
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();
    auto softplus = [](double v) { return v > 20 ? v : std::log1p(std::exp(v)); };
    const int eg = e / groups;
    n_ = static_cast<int64_t>(group.size());
    group_ = group;
    noise_on_ = !raw.empty() && noise_scale > 0.f;
    const int64_t ne = n_ * e;
    clean_.assign(clean.begin(), clean.end());
    h_ = clean_;
    if (noise_on_) {
      raw_.assign(raw.begin(), raw.end());
      eps_.resize(ne);
      std_.resize(ne);
      for (int64_t i = 0; i < ne; ++i) {
        eps_[i] = rng.normal(static_cast<uint64_t>(i));
        std_[i] = noise_scale * softplus(raw_[i]);
        h_[i] += eps_[i] * std_[i];
      }
    }
    for (int64_t t = 0; t < n_; ++t) {
      int g = group_[t];
      for (int i = 0; i < e; ++i)
        if (g < 0 ? i > 0 : (i < g * eg || i >= (g + 1) * eg)) h_[t * e + i] = kNegInf;
    }
    ktop_ = (coefs.load > 0 && noise_on_) ? std::min(k + 1, e) : k;
    {
      std::vector<float> hf(h_.begin(), h_.end());
      Tensor ht = Tensor::from_vector(hf, {n_, e});
      Tensor vals = Tensor::empty({n_, ktop_});
      Tensor idx = Tensor::empty({n_, ktop_}, DType::i32);
      ops::topk(ht, ktop_, vals, idx);
      top_ = idx.to_ivector();
    }
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
        double gv = renormalize ? p[top[j]] / kept : p[top[j]];
        gate_[t * k + j] = gv;
        gate_f_[t * k + j] = static_cast<float>(gv);
        expert_[t * k + j] = top[j];
      }
    }
    values_ = balance_losses(view(), coefs, nullptr, 1.0);
  }

  // Router::entropy_sum: sum over valid tokens of the entropy (nats) of p.
  double entropy_sum() const {
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

  // dgate (N*k) -> dclean and (with noise) draw, each (N*E).
  void backward(const std::vector<float>& dgate_in, double aux_scale, std::vector<float>& dclean,
                std::vector<float>& draw) const {
    auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    const int64_t ne = n_ * e;
    BalanceGrads g;
    g.dgate.assign(dgate_in.begin(), dgate_in.end());
    g.dp.assign(ne, 0.0);
    g.dh.assign(ne, 0.0);
    g.dclean.assign(ne, 0.0);
    g.dstd.assign(ne, 0.0);
    balance_losses(view(), coefs, &g, aux_scale);
    for (int64_t t = 0; t < n_; ++t) {
      if (group_[t] < 0) continue;
      const int32_t* top = top_.data() + t * ktop_;
      const double* p = p_.data() + t * e;
      const double* dg = g.dgate.data() + t * k;
      double* dp = g.dp.data() + t * e;
      double* dh = g.dh.data() + t * e;
      if (renormalize) {
        const double* gt = gate_.data() + t * k;
        double s = 0;
        for (int j = 0; j < k; ++j) s += gt[j] * dg[j];
        for (int j = 0; j < k; ++j) dh[top[j]] += gt[j] * (dg[j] - s);
      } else {
        for (int j = 0; j < k; ++j) dp[top[j]] += dg[j];
      }
      double s = 0;
      for (int i = 0; i < e; ++i) s += p[i] * dp[i];
      for (int i = 0; i < e; ++i)
        if (p[i] > 0) dh[i] += p[i] * (dp[i] - s);
    }
    dclean.assign(ne, 0.f);
    draw.clear();
    for (int64_t i = 0; i < ne; ++i) dclean[i] = static_cast<float>(g.dclean[i] + g.dh[i]);
    if (noise_on_) {
      draw.resize(ne);
      for (int64_t i = 0; i < ne; ++i)
        draw[i] =
            static_cast<float>((g.dstd[i] + g.dh[i] * eps_[i]) * noise_scale * sigmoid(raw_[i]));
    }
  }
};

}  // namespace moemt::moe::reference
