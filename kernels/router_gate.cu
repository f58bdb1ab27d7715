// CUDA router gating: one thread per token row, the CPU's row code line for line (double
// math from ops/router_math.h, top-k from ops/math/topk.h), with the row's double temporaries
// in a global scratch buffer. Rows are independent, so results do not depend on scheduling.
// The noise draws are the CPU's (router_math::noise_normal); device libm may differ from the
// host's by an ulp in double, which the f32 outputs almost always round away.
#include <math.h>

#include "block_reduce.cuh"
#include "launch.cuh"
#include "ops/math/topk.h"
#include "ops/router_math.h"
#include "router_gate.cuh"

namespace moemt::kernels {

namespace {

namespace rm = ops::router_math;

__global__ void gate_forward_kernel(RouterGateArgs a, RouterForwardPointers p) {
  const int64_t e = a.e;
  const int eg = static_cast<int>(e) / a.num_groups, k = a.k, kt = a.ktop;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < a.n;
       r += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double* h = p.scratch + r * e;
    double* pd = p.scratch + (a.n + r) * e;
    const int g = p.group[r];
    for (int64_t i = 0; i < e; ++i) {
      const int64_t x = r * e + i;
      // H = clean + N(0,1) * noise_scale * softplus(x Wnoise)   (Shazeer et al. eq. 4)
      double v = p.clean[x];
      if (p.raw) {
        const double sdev = a.noise_scale * rm::softplus(p.raw[x]);
        p.eps[x] = rm::noise_normal(a.seed, a.stream, static_cast<uint64_t>(x));
        p.noise_std[x] = static_cast<float>(sdev);
        v += p.eps[x] * sdev;
      }
      h[i] = rm::not_candidate(g, static_cast<int>(i), eg) ? -INFINITY : v;
      p.h[x] = static_cast<float>(h[i]);
    }
    int32_t* top = p.top + r * kt;
    if (p.allowed)
      math::topk_row_of(math::AllowedLoad{p.h + r * e, p.allowed}, e, kt, p.vals + r * kt, top);
    else
      math::topk_row(p.h + r * e, e, kt, p.vals + r * kt, top);
    float* prob = p.probs + r * e;
    if (g < 0) {
      for (int64_t i = 0; i < e; ++i) prob[i] = 0.f;
      for (int j = 0; j < k; ++j) p.expert[r * k + j] = -1, p.gate[r * k + j] = 0.f;
      continue;
    }
    // p = softmax(h) over the finite entries, then the gates of the top k.
    const double mx = rm::softmax_shift(h, e, top[0], p.allowed != nullptr);
    double s = 0;
    for (int64_t i = 0; i < e; ++i) s += (pd[i] = isfinite(h[i]) ? exp(h[i] - mx) : 0.0);
    for (int64_t i = 0; i < e; ++i) prob[i] = static_cast<float>(pd[i] /= s);
    double kept = 0;
    for (int j = 0; j < k; ++j) kept += pd[top[j]];
    for (int j = 0; j < k; ++j) {
      p.gate[r * k + j] = static_cast<float>(a.renormalize ? pd[top[j]] / kept : pd[top[j]]);
      p.expert[r * k + j] = top[j];
    }
  }
}

__global__ void gate_backward_kernel(RouterGateArgs a, RouterBackwardPointers p) {
  const int64_t e = a.e;
  const int k = a.k, kt = a.ktop;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < a.n;
       r += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = r * e;
    double* dp = p.scratch + r * e;
    double* dh = p.scratch + (a.n + r) * e;
    for (int64_t i = 0; i < e; ++i) {
      dp[i] = p.dprobs ? p.dprobs[b + i] : 0.0;
      dh[i] = p.dh ? p.dh[b + i] : 0.0;
    }
    if (p.group[r] >= 0) {
      const int32_t* tp = p.top + r * kt;
      const float *dg = p.dgate + r * k, *gt = p.gate + r * k;
      if (a.renormalize) {
        // gate_j = softmax over the kept logits: dh_j = gate_j (dgate_j - sum_i gate_i dgate_i).
        double s = 0;
        for (int j = 0; j < k; ++j) s += static_cast<double>(gt[j]) * dg[j];
        for (int j = 0; j < k; ++j) dh[tp[j]] += gt[j] * (dg[j] - s);
      } else {
        for (int j = 0; j < k; ++j) dp[tp[j]] += dg[j];  // gate_j = p[top_j]
      }
      // p = softmax(h): dh_i += p_i (dp_i - sum_l p_l dp_l).
      double s = 0;
      for (int64_t i = 0; i < e; ++i) s += p.probs[b + i] * dp[i];
      for (int64_t i = 0; i < e; ++i)
        if (p.probs[b + i] > 0) dh[i] += p.probs[b + i] * (dp[i] - s);
    }
    // h = clean + eps * std, std = noise_scale * softplus(raw).
    for (int64_t i = 0; i < e; ++i) {
      p.dclean_out[b + i] = static_cast<float>((p.dclean ? p.dclean[b + i] : 0.0) + dh[i]);
      if (p.draw)
        p.draw[b + i] = static_cast<float>(((p.dstd ? p.dstd[b + i] : 0.0) + dh[i] * p.eps[b + i]) *
                                           a.noise_scale * rm::sigmoid(p.raw[b + i]));
    }
  }
}

__global__ void entropy_kernel(const float* probs, int64_t count, float* out) {
  __shared__ double sm[32];
  double s = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
    if (probs[i] > 0) s -= static_cast<double>(probs[i]) * log(static_cast<double>(probs[i]));
  s = block_sum(s, sm);
  if (threadIdx.x == 0) *out = static_cast<float>(s);
}

}  // namespace

void launch_router_gate_forward(const RouterGateArgs& a, const RouterForwardPointers& p, int device,
                                void* stream) {
  if (a.n == 0) return;
  cudaSetDevice(device);
  gate_forward_kernel<<<blocks_for(a.n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(a, p);
  check_launch("router_gate_forward");
}

void launch_router_gate_backward(const RouterGateArgs& a, const RouterBackwardPointers& p,
                                 int device, void* stream) {
  if (a.n == 0) return;
  cudaSetDevice(device);
  gate_backward_kernel<<<blocks_for(a.n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(a, p);
  check_launch("router_gate_backward");
}

void launch_router_entropy(const float* probs, int64_t count, float* out, int device,
                           void* stream) {
  cudaSetDevice(device);
  entropy_kernel<<<1, 1024, 0, static_cast<cudaStream_t>(stream)>>>(probs, count, out);
  check_launch("router_entropy");
}

}  // namespace moemt::kernels
