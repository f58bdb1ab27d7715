// Finite-difference gradient checking for layers, used by the tests of nn, moe and model.
// The loss is L = sum(out * probe) for a fixed random probe, so dL/dout = probe.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace moemt::nn {

struct GradCheckResult {
  double max_abs_err = 0, max_rel_err = 0;
  std::string worst;  // which element, for the failure message
};

// Compares an analytic gradient with central differences on `checks` sampled elements of
// `target` (an input or a parameter value tensor). `loss` recomputes the scalar loss from
// scratch; `analytic` is the gradient the backward produced for `target`.
inline GradCheckResult grad_check(const std::function<double()>& loss, Tensor target,
                                  const Tensor& analytic, int checks = 24, float eps = 1e-2f,
                                  uint64_t seed = 7) {
  GradCheckResult r;
  MOEMT_CHECK(target.dtype() == DType::f32, "grad_check needs an f32 target");
  // Elements are read and nudged through copy_bytes, so the check runs on any device.
  float* p = static_cast<float*>(target.raw());
  auto set = [&](int64_t i, float v) { copy_bytes(p + i, target.device(), &v, Device::cpu(), 4); };
  auto g = analytic.to_vector();
  int64_t n = target.numel();
  RngStream rng{seed, 99};
  for (int c = 0; c < checks && c < n; ++c) {
    int64_t i = checks >= n ? c : static_cast<int64_t>(rng.bits(c) % static_cast<uint64_t>(n));
    float orig = 0;
    copy_bytes(&orig, Device::cpu(), p + i, target.device(), 4);
    set(i, orig + eps);
    double lp = loss();
    set(i, orig - eps);
    double lm = loss();
    set(i, orig);
    double num = (lp - lm) / (2.0 * eps);
    double err = std::abs(num - g[i]);
    double rel = err / std::max(1e-3, std::abs(num) + std::abs(g[i]));
    if (rel > r.max_rel_err) {
      r.worst = "element " + std::to_string(i) + ": numeric " + std::to_string(num) +
                " analytic " + std::to_string(g[i]);
    }
    r.max_abs_err = std::max(r.max_abs_err, err);
    r.max_rel_err = std::max(r.max_rel_err, rel);
  }
  return r;
}

// A deterministic random tensor for tests.
inline Tensor random_tensor(const Shape& s, uint64_t stream, float scale = 1.f) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{11, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = scale * r.normal(i);
  return Tensor::from_vector(v, s);
}

// sum(out * probe) in double.
inline double dot(const Tensor& out, const Tensor& probe) {
  auto a = out.to_vector(), b = probe.to_vector();
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace moemt::nn
