// CUDA balancing losses, deterministic and in the CPU's summation order: per-expert sums over
// tokens by one thread per expert walking the tokens in order (the CPU's order for that
// column), per-token logsumexps in parallel, one thread for the small per-group formulas
// (ops/math/balance.h, shared with the CPU), and one thread per token for the gradients,
// adding into each element in the CPU's loss order. The per-expert walks are O(N) serial
// steps: fine for routing statistics, a blocked sum would be faster at 64k tokens.
#include <math.h>

#include "balance_loss.cuh"
#include "launch.cuh"
#include "ops/math/balance.h"
#include "ops/router_math.h"

namespace moemt::kernels {

namespace {

namespace bm = ops::math;
namespace rm = ops::router_math;

// Scratch layout (doubles).
struct Layout {
  double *imp, *load, *f, *pm, *dimp, *dload, *lse, *tokens, *misc;  // misc: valid, values[4]
};
Layout layout(const BalanceArgs& a, double* s) {
  Layout l;
  l.imp = s;
  l.load = l.imp + a.e;
  l.f = l.load + a.e;
  l.pm = l.f + a.e;
  l.dimp = l.pm + a.e;
  l.dload = l.dimp + a.e;
  l.tokens = l.dload + a.e;
  l.misc = l.tokens + a.groups;
  l.lse = l.misc + 8;
  return l;
}

// lse[t] = logsumexp of h over the token's candidates (0 on padding rows), for the z-loss.
__global__ void lse_kernel(BalanceArgs a, BalanceInputs in, Layout l) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < a.n;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int grp = in.group[t];
    if (grp < 0) {
      l.lse[t] = 0;
      continue;
    }
    const float* h = in.h + t * a.e;
    double mx = -INFINITY;
    for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i) mx = fmax(mx, static_cast<double>(h[i]));
    double s = 0;
    for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i) s += exp(h[i] - mx);
    l.lse[t] = mx + log(s);
  }
}

// Columns [0, e): one expert's importance, load, routed count and probability mass; columns
// [e, e + groups): one group's token count. Each walks the tokens in order.
__global__ void column_kernel(BalanceArgs a, BalanceInputs in, Layout l) {
  const bool load = a.load > 0 && a.noisy;
  for (int c = threadIdx.x; c < a.e + a.groups; c += blockDim.x) {
    if (c >= a.e) {
      double count = 0;
      for (int64_t t = 0; t < a.n; ++t) count += in.group[t] == c - a.e;
      l.tokens[c - a.e] = count;
      continue;
    }
    const int i = c;
    double imp = 0, ld = 0, f = 0, pm = 0;
    for (int64_t t = 0; t < a.n; ++t) {
      const int grp = in.group[t];
      if (grp < 0) continue;
      const int32_t* top = in.top + t * a.ktop;
      for (int j = 0; j < a.k; ++j)
        if (top[j] == i) {
          imp += in.gate[t * a.k + j];
          f += 1.0;
        }
      pm += in.probs[t * a.e + i];
      if (load && i >= grp * a.eg && i < (grp + 1) * a.eg) {
        int kth = -1;
        bool fixed;
        const double z = bm::load_z(top, a.ktop, a.k, in.h + t * a.e, in.clean + t * a.e,
                                    in.noise_std + t * a.e, i, &kth, &fixed);
        ld += fixed ? 1.0 : rm::normal_cdf(z);
      }
    }
    l.imp[i] = imp;
    l.load[i] = ld;
    l.f[i] = f;
    l.pm[i] = pm;
  }
}

// Sum over groups of share * CV^2 of x within the group; gradient into d when not null.
__device__ double grouped_cv(const BalanceArgs& a, const Layout& l, double valid, const double* x,
                             double* d, double scale) {
  double out = 0;
  for (int grp = 0; grp < a.groups; ++grp) {
    if (l.tokens[grp] == 0) continue;
    const double w = l.tokens[grp] / valid;
    out += w * bm::cv_squared(x + grp * a.eg, a.eg, d ? d + grp * a.eg : nullptr, scale * w);
  }
  return out;
}

// One thread: the four losses (misc[1..4]), valid tokens (misc[0]) and, when grad_scale is
// not 0, the per-expert gradient coefficients dimp and dload.
__global__ void finish_kernel(BalanceArgs a, Layout l, double grad_scale, float* values,
                              float* aux_sum, const int32_t* group) {
  double valid = 0;
  for (int g = 0; g < a.groups; ++g) valid += l.tokens[g];
  for (int i = 0; i < a.e; ++i) l.dimp[i] = l.dload[i] = 0;
  double out[4] = {0, 0, 0, 0};
  const bool grad = grad_scale != 0;
  if (valid > 0) {
    if (a.importance > 0)
      out[0] = grouped_cv(a, l, valid, l.imp, grad ? l.dimp : nullptr, grad_scale * a.importance);
    if (a.load > 0 && a.noisy)
      out[1] = grouped_cv(a, l, valid, l.load, grad ? l.dload : nullptr, grad_scale * a.load);
    if (a.switch_aux > 0) {
      // E_g * sum_i f_i P_i: f_i the fraction of the group's choices, P_i the mean probability.
      for (int grp = 0; grp < a.groups; ++grp) {
        const double ng = l.tokens[grp];
        if (ng == 0) continue;
        double s = 0;
        for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i)
          s += (l.f[i] / (ng * a.k)) * (l.pm[i] / ng);
        out[2] += ng / valid * a.eg * s;
      }
    }
    if (a.z > 0)  // mean over tokens of lse^2, in token order
      for (int64_t t = 0; t < a.n; ++t)
        if (group[t] >= 0) out[3] += l.lse[t] * l.lse[t] / valid;
  }
  l.misc[0] = valid;
  for (int i = 0; i < 4; ++i) l.misc[1 + i] = out[i];
  if (values)
    for (int i = 0; i < 4; ++i) values[i] = static_cast<float>(out[i]);
  if (aux_sum)
    *aux_sum += static_cast<float>(a.importance * out[0] + a.load * out[1] + a.switch_aux * out[2] +
                                   a.z * out[3]);
}

// One thread per token: importance (dgate), load (dclean, dstd, dh), switch (dprobs), z (dh),
// in the CPU's order.
__global__ void grad_kernel(BalanceArgs a, BalanceInputs in, Layout l, double scale,
                            BalanceGrads g) {
  const double valid = l.misc[0];
  if (valid == 0) return;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < a.n;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int grp = in.group[t];
    if (grp < 0) continue;
    const int32_t* top = in.top + t * a.ktop;
    const int64_t b = t * a.e;
    if (a.importance > 0)  // forward: imp[top] += gate, so dgate += dimp[top]
      for (int j = 0; j < a.k; ++j) g.dgate[t * a.k + j] += l.dimp[top[j]];
    if (a.load > 0 && a.noisy) {
      // z = (clean_i - h_kth) / std_i: dclean_i += dz / std_i, dstd_i -= dz z / std_i,
      // dh_kth -= dz / std_i.
      for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i) {
        int kth = -1;
        bool fixed;
        const double z =
            bm::load_z(top, a.ktop, a.k, in.h + b, in.clean + b, in.noise_std + b, i, &kth, &fixed);
        if (fixed) continue;
        const double sd = in.noise_std[b + i];
        const double dz = l.dload[i] * rm::normal_pdf(z);
        g.dclean[b + i] += dz / sd;
        g.dstd[b + i] -= dz * z / sd;
        g.dh[b + kth] -= dz / sd;
      }
    }
    if (a.switch_aux > 0) {
      const double s = scale * a.switch_aux, ng = l.tokens[grp];
      for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i)
        g.dprobs[b + i] += s * a.eg * l.f[i] / (ng * a.k) / valid;
    }
    if (a.z > 0) {  // d lse / d h_i = p_i
      const double s = scale * a.z;
      for (int i = grp * a.eg; i < (grp + 1) * a.eg; ++i)
        g.dh[b + i] += s * 2.0 * l.lse[t] / valid * in.probs[b + i];
    }
  }
}

void stats(const BalanceArgs& a, const BalanceInputs& in, const Layout& l, cudaStream_t s) {
  if (a.z > 0 && a.n > 0) {
    lse_kernel<<<blocks_for(a.n), kThreads, 0, s>>>(a, in, l);
    check_launch("balance_loss (logsumexp)");
  }
  column_kernel<<<1, 1024, 0, s>>>(a, in, l);
  check_launch("balance_loss (columns)");
}

}  // namespace

int64_t balance_scratch(const BalanceArgs& a) { return 6 * int64_t{a.e} + a.groups + 8 + a.n; }

void launch_balance_forward(const BalanceArgs& a, const BalanceInputs& in, float* values,
                            float* aux_sum, double* scratch, int device, void* stream) {
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const Layout l = layout(a, scratch);
  stats(a, in, l, s);
  finish_kernel<<<1, 1, 0, s>>>(a, l, 0.0, values, aux_sum, in.group);
  check_launch("balance_loss (values)");
}

void launch_balance_backward(const BalanceArgs& a, const BalanceInputs& in, double scale,
                             BalanceGrads g, double* scratch, int device, void* stream) {
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const Layout l = layout(a, scratch);
  stats(a, in, l, s);
  // scale 0 would read as "no gradient"; the gradients are then 0 and nothing is added.
  if (scale == 0) return;
  finish_kernel<<<1, 1, 0, s>>>(a, l, scale, nullptr, nullptr, in.group);
  check_launch("balance_loss (coefficients)");
  if (a.n > 0) {
    grad_kernel<<<blocks_for(a.n), kThreads, 0, s>>>(a, in, l, scale, g);
    check_launch("balance_loss (gradients)");
  }
}

}  // namespace moemt::kernels
