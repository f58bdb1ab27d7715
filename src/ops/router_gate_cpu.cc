// CPU router gating, one token row at a time (rows are independent, so threads do not change
// results). The math after the f32 logits runs in double, as the host router always did;
// outputs are rounded to f32 once.
#include <cmath>
#include <limits>
#include <vector>

#include "ops/math/topk.h"
#include "ops/router_gate.h"
#include "ops/router_math.h"

namespace moemt::ops::cpu {

namespace {
using namespace router_math;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr int64_t kParallelMin = 1 << 14;  // elements (N * E) below which threads cost more

const float* or_null(const Tensor& t) {
  return t.defined() && t.numel() > 0 ? t.data<float>() : nullptr;
}

// p = softmax(h) over the finite entries, then gates of the top k (renormalised or not).
void probs_and_gates(const RouterGateOptions& o, int64_t e, const double* h, const int32_t* top,
                     bool masked, float* p, int32_t* expert, float* gate, double* pd) {
  const double mx = softmax_shift(h, e, top[0], masked);
  double s = 0;
  for (int64_t i = 0; i < e; ++i) s += (pd[i] = std::isfinite(h[i]) ? std::exp(h[i] - mx) : 0.0);
  for (int64_t i = 0; i < e; ++i) p[i] = static_cast<float>(pd[i] /= s);
  double kept = 0;
  for (int j = 0; j < o.k; ++j) kept += pd[top[j]];
  for (int j = 0; j < o.k; ++j) {
    gate[j] = static_cast<float>(o.renormalize ? pd[top[j]] / kept : pd[top[j]]);
    expert[j] = top[j];
  }
}
}  // namespace

void router_gate_forward(const RouterGateOptions& o, GateTensors& t) {
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  const int eg = static_cast<int>(e) / o.num_groups, k = o.k, kt = o.ktop;
  const bool noisy = t.noisy();
  const int32_t* grp = t.group.data<int32_t>();
  const float* clean = t.clean.data<float>();
  const float* raw = noisy ? t.raw.data<float>() : nullptr;
  float* eps = noisy ? t.eps.data<float>() : nullptr;
  float* sd = noisy ? t.noise_std.data<float>() : nullptr;
  float* hf = t.h.data<float>();
  float* p = t.probs.data<float>();
  int32_t* top = t.top.data<int32_t>();
  int32_t* expert = t.expert.data<int32_t>();
  float* gate = t.gate.data<float>();
  const int32_t* allowed = t.allowed.defined() ? t.allowed.data<int32_t>() : nullptr;
  for (int64_t r = 0; r < n; ++r)  // checked before the parallel loop, which must not throw
    MOEMT_CHECK(grp[r] < o.num_groups, "group {} of {}", grp[r], o.num_groups);
#pragma omp parallel if (n * e > kParallelMin)
  {
    std::vector<double> h(e), pd(e);
    std::vector<float> vals(kt);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; ++r) {
      const int g = grp[r];
      for (int64_t i = 0; i < e; ++i) {
        const int64_t x = r * e + i;
        // H = clean + N(0,1) * noise_scale * softplus(x Wnoise)   (Shazeer et al. eq. 4)
        double v = clean[x];
        if (noisy) {
          const double sdev = o.noise_scale * softplus(raw[x]);
          eps[x] = noise_normal(o.seed, o.stream, static_cast<uint64_t>(x));
          sd[x] = static_cast<float>(sdev);
          v += eps[x] * sdev;
        }
        h[i] = not_candidate(g, static_cast<int>(i), eg) ? kNegInf : v;
        hf[x] = static_cast<float>(h[i]);
      }
      if (allowed)
        math::topk_row_of(math::AllowedLoad{hf + r * e, allowed}, e, kt, vals.data(), top + r * kt);
      else
        math::topk_row(hf + r * e, e, kt, vals.data(), top + r * kt);
      if (g >= 0) {
        probs_and_gates(o, e, h.data(), top + r * kt, allowed != nullptr, p + r * e,
                        expert + r * k, gate + r * k, pd.data());
      } else {
        for (int64_t i = 0; i < e; ++i) p[r * e + i] = 0.f;
        for (int j = 0; j < k; ++j) expert[r * k + j] = -1, gate[r * k + j] = 0.f;
      }
    }
  }
}

void router_gate_backward(const RouterGateOptions& o, const GateTensors& t, const GateGrads& g,
                          Tensor& dclean_out, Tensor& draw) {
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  const int k = o.k, kt = o.ktop;
  const bool noisy = t.noisy();
  const int32_t* grp = t.group.data<int32_t>();
  const float* p = t.probs.data<float>();
  const int32_t* top = t.top.data<int32_t>();
  const float* gate = t.gate.data<float>();
  const float* dgate = g.dgate.data<float>();
  const float *dprobs = or_null(g.dprobs), *dh_in = or_null(g.dh), *dclean = or_null(g.dclean),
              *dstd = noisy ? or_null(g.dstd) : nullptr;  // null: no loss wrote them (zero)
  const float* raw = noisy ? t.raw.data<float>() : nullptr;
  const float* eps = noisy ? t.eps.data<float>() : nullptr;
  float* dc = dclean_out.data<float>();
  float* dr = noisy ? draw.data<float>() : nullptr;
#pragma omp parallel if (n * e > kParallelMin)
  {
    std::vector<double> dp(e), dh(e);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; ++r) {
      const int64_t b = r * e;
      for (int64_t i = 0; i < e; ++i) {
        dp[i] = dprobs ? dprobs[b + i] : 0.0;
        dh[i] = dh_in ? dh_in[b + i] : 0.0;
      }
      if (grp[r] >= 0) {
        const int32_t* tp = top + r * kt;
        const float *dg = dgate + r * k, *gt = gate + r * k;
        if (o.renormalize) {
          // gate_j = softmax over the kept logits: dh_j = gate_j (dgate_j - sum_i gate_i dgate_i).
          double s = 0;
          for (int j = 0; j < k; ++j) s += static_cast<double>(gt[j]) * dg[j];
          for (int j = 0; j < k; ++j) dh[tp[j]] += gt[j] * (dg[j] - s);
        } else {
          for (int j = 0; j < k; ++j) dp[tp[j]] += dg[j];  // gate_j = p[top_j]
        }
        // p = softmax(h): dh_i += p_i (dp_i - sum_l p_l dp_l).
        double s = 0;
        for (int64_t i = 0; i < e; ++i) s += p[b + i] * dp[i];
        for (int64_t i = 0; i < e; ++i)
          if (p[b + i] > 0) dh[i] += p[b + i] * (dp[i] - s);
      }
      // h = clean + eps * std, std = noise_scale * softplus(raw).
      for (int64_t i = 0; i < e; ++i) {
        dc[b + i] = static_cast<float>((dclean ? dclean[b + i] : 0.0) + dh[i]);
        if (noisy)
          dr[b + i] = static_cast<float>(((dstd ? dstd[b + i] : 0.0) + dh[i] * eps[b + i]) *
                                         o.noise_scale * sigmoid(raw[b + i]));
      }
    }
  }
}

void router_entropy(const Tensor& probs, Tensor& out) {
  const float* p = probs.data<float>();
  double s = 0;  // serial: a fixed summation order
  for (int64_t i = 0; i < probs.numel(); ++i)
    if (p[i] > 0) s -= static_cast<double>(p[i]) * std::log(static_cast<double>(p[i]));
  out.data<float>()[0] = static_cast<float>(s);
}

}  // namespace moemt::ops::cpu
