// Adam update loop over the flat buffers, OpenMP-parallel and deterministic (static schedule,
// per-thread partial sums combined in thread order).
#include "train/optimizer.h"

#include <omp.h>

#include <cmath>
#include <vector>

namespace moemt::train {

double global_norm(const Tensor& flat) {
  MOEMT_CHECK(flat.device().is_cpu(), "global_norm on {} needs the CUDA backend", flat.device().str());
  const float* g = flat.data<float>();
  int64_t n = flat.numel();
  int nt = omp_get_max_threads();
  std::vector<double> part(nt, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    double s = 0;
    for (int64_t i = lo; i < hi; ++i) s += static_cast<double>(g[i]) * g[i];
    part[t] = s;
  }
  double s = 0;
  for (double p : part) s += p;
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
  const float b1 = opts_.beta1, b2 = opts_.beta2, eps = opts_.eps, wd = opts_.weight_decay;
  const float c1 = 1.f - std::pow(b1, static_cast<float>(t_));
  const float c2 = 1.f - std::pow(b2, static_cast<float>(t_));
  const float step_size = lr / c1;
  const float inv_sqrt_c2 = 1.f / std::sqrt(c2);
  float* pw = w.data<float>();
  const float* pg = g.data<float>();
  float* pm = m_.data<float>();
  float* pv = v_.data<float>();
  int64_t n = w.numel();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float gi = pg[i] * clip;
    pm[i] = b1 * pm[i] + (1.f - b1) * gi;
    pv[i] = b2 * pv[i] + (1.f - b2) * gi * gi;
    pw[i] -= step_size * pm[i] / (std::sqrt(pv[i]) * inv_sqrt_c2 + eps) + lr * wd * pw[i];
  }
  return norm;
}

}  // namespace moemt::train
