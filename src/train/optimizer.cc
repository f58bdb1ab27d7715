// Adam update loop over the flat buffers, OpenMP-parallel and deterministic (static schedule,
// per-thread partial sums combined in thread order).
#include "train/optimizer.h"

#include <omp.h>

#include <cmath>
#include <vector>

#include "core/simd.h"

namespace moemt::train {

namespace {

MOEMT_SIMD_CLONES double sum_squares(const float* __restrict g, int64_t n) {
  // Eight independent double accumulators: vectorised without reassociating a sum, so the
  // result is the same whichever clone runs.
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += static_cast<double>(g[i + j]) * g[i + j];
  double s = 0;
  for (; i < n; ++i) s += static_cast<double>(g[i]) * g[i];
  for (double a : acc) s += a;
  return s;
}

struct AdamStep {
  float clip, b1, b2, eps, step_size, inv_sqrt_c2, decay;  // decay = lr * weight_decay
};

MOEMT_SIMD_CLONES void adam_update(float* __restrict w, const float* __restrict g,
                                   float* __restrict m, float* __restrict v, int64_t n,
                                   AdamStep s) {
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] * s.clip;
    float mi = s.b1 * m[i] + (1.f - s.b1) * gi;
    float vi = s.b2 * v[i] + (1.f - s.b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= s.step_size * mi / (std::sqrt(vi) * s.inv_sqrt_c2 + s.eps) + s.decay * w[i];
  }
}

}  // namespace

double global_norm(const Tensor& flat) {
  MOEMT_CHECK(flat.device().is_cpu(), "global_norm on {} needs the CUDA backend", flat.device().str());
  const float* g = flat.data<float>();
  std::vector<double> part(omp_get_max_threads(), 0.0);
  int shares = parallel_chunks(flat.numel(), 1 << 16, [&](int t, int64_t lo, int64_t hi) {
    part[t] = sum_squares(g + lo, hi - lo);
  });
  double s = 0;
  for (int t = 0; t < shares; ++t) s += part[t];
  return std::sqrt(s);
}

Adam::Adam(ParamStore& store, AdamOptions opts) : store_(store), opts_(opts) {
  m_ = Tensor::zeros({store.numel()}, DType::f32, store.device());
  v_ = Tensor::zeros({store.numel()}, DType::f32, store.device());
}

double Adam::step(float lr) {
  Tensor w = store_.values(), g = store_.grads();
  double norm = global_norm(g);
  float clip = 1.f;
  if (opts_.clip_norm > 0 && norm > opts_.clip_norm) clip = static_cast<float>(opts_.clip_norm / norm);
  if (!std::isfinite(norm)) return norm;  // skip a non-finite update rather than poison weights
  ++t_;
  const float b1 = opts_.beta1, b2 = opts_.beta2;
  const float c1 = 1.f - std::pow(b1, static_cast<float>(t_));
  const float c2 = 1.f - std::pow(b2, static_cast<float>(t_));
  const AdamStep st{clip, b1, b2, opts_.eps, lr / c1, 1.f / std::sqrt(c2), lr * opts_.weight_decay};
  float* pw = w.data<float>();
  const float* pg = g.data<float>();
  float* pm = m_.data<float>();
  float* pv = v_.data<float>();
  parallel_chunks(w.numel(), 1 << 16, [&](int, int64_t lo, int64_t hi) {
    adam_update(pw + lo, pg + lo, pm + lo, pv + lo, hi - lo, st);
  });
  return norm;
}

}  // namespace moemt::train
