// CPU log-softmax: max-shifted; the exps (a vectorised polynomial) are summed in float over
// short runs that are added into double, so long rows stay accurate.
#include <cmath>

#include "core/simd.h"
#include "ops/fast_exp.h"
#include "ops/log_softmax.h"

namespace moemt::ops::cpu {

namespace {
// x and y may be the same row (in-place use).
MOEMT_SIMD_CLONES void log_softmax_row(const float* x, float* y, int64_t v) {
  const float mx = max_of(x, v);
  double s = 0;
  constexpr int64_t kRun = 256;
  for (int64_t i0 = 0; i0 < v; i0 += kRun) {
    const int64_t i1 = i0 + kRun < v ? i0 + kRun : v;
    float fs = 0.f;
#pragma omp simd reduction(+ : fs)
    for (int64_t i = i0; i < i1; ++i) fs += exp_nonpos(x[i] - mx);
    s += fs;
  }
  const float lse = mx + static_cast<float>(std::log(s));
#pragma omp simd
  for (int64_t i = 0; i < v; ++i) y[i] = x[i] - lse;
}
}  // namespace

void log_softmax(const Tensor& x, Tensor& y) {
  int64_t n = x.shape().rows(), v = x.shape().cols();
  const float* px = x.data<float>();
  float* py = y.data<float>();
  if (v == 0) return;
#pragma omp parallel for schedule(static) if (n > 1 && n * v > 65536)
  for (int64_t r = 0; r < n; ++r) log_softmax_row(px + r * v, py + r * v, v);
}

}  // namespace moemt::ops::cpu
