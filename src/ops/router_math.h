// Per-element math of MoE gating and balancing shared by the CPU ops and, later, the CUDA
// kernels (in double, as the router is computed): softplus, sigmoid, the normal CDF and PDF.
#pragma once

#include <cmath>

namespace moemt::ops::router_math {

inline double softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }
inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
inline double normal_cdf(double z) { return 0.5 * std::erfc(-z * 0.7071067811865476); }
inline double normal_pdf(double z) { return 0.3989422804014327 * std::exp(-0.5 * z * z); }
// Whether expert i is outside the candidates of a token in group g (experts_per_group eg);
// padding rows (g < 0) keep expert 0 only, so their top-k stays well defined.
inline bool not_candidate(int g, int i, int eg) {
  return g < 0 ? i > 0 : (i < g * eg || i >= (g + 1) * eg);
}

}  // namespace moemt::ops::router_math
