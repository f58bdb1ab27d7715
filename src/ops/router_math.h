// Per-element math of MoE gating and balancing shared by the CPU ops and the CUDA kernels
// (in double, as the router is computed): softplus, sigmoid, the normal CDF and PDF, the
// router's Gaussian noise draw. Plain C math functions, so nvcc compiles them for the device.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/host_device.h"
#include "core/philox.h"

namespace moemt::ops::router_math {

MOEMT_HOST_DEVICE inline double softplus(double v) { return v > 20 ? v : log1p(exp(v)); }
MOEMT_HOST_DEVICE inline double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }
MOEMT_HOST_DEVICE inline double normal_cdf(double z) { return 0.5 * erfc(-z * 0.7071067811865476); }
MOEMT_HOST_DEVICE inline double normal_pdf(double z) {
  return 0.3989422804014327 * exp(-0.5 * z * z);
}
// Whether expert i is outside the candidates of a token in group g (experts_per_group eg);
// padding rows (g < 0) keep expert 0 only, so their top-k stays well defined.
MOEMT_HOST_DEVICE inline bool not_candidate(int g, int i, int eg) {
  return g < 0 ? i > 0 : (i < g * eg || i >= (g + 1) * eg);
}
// The shift of a row's softmax: its largest finite h. Without a mask of allowed columns that
// is h[top0], the first choice; with one the largest entry may have been left out.
MOEMT_HOST_DEVICE inline double softmax_shift(const double* h, int64_t e, int32_t top0,
                                              bool masked) {
  double mx = h[top0];
  if (masked)
    for (int64_t i = 0; i < e; ++i)
      if (isfinite(h[i]) && h[i] > mx) mx = h[i];
  return mx;
}
// RngStream{seed, stream}.normal(i) (core/rng.h), as a host/device function: Box-Muller on
// words 0 and 1 of Philox block i of the derived stream. tests/ops pins the two together.
MOEMT_HOST_DEVICE inline float noise_normal(uint64_t seed, uint64_t stream, uint64_t i) {
  uint32_t w0, w1, w2, w3;
  philox4x32(seed, stream ^ 0x5bd1e9955bd1e995ull, i, w0, w1, w2, w3);
  const double u1 = (static_cast<double>(w0) + 1.0) * (1.0 / 4294967297.0);  // (0, 1]
  const double u2 = static_cast<double>(w1) * (1.0 / 4294967296.0);
  return static_cast<float>(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

}  // namespace moemt::ops::router_math
