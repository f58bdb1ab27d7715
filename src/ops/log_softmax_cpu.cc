// CPU log-softmax: max-shifted, sums in double for long rows.
#include <cmath>

#include "ops/log_softmax.h"

namespace moemt::ops::cpu {

void log_softmax(const Tensor& x, Tensor& y) {
  int64_t n = x.shape().rows(), v = x.shape().cols();
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for schedule(static) if (n > 1 && n * v > 65536)
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = px + r * v;
    float* yr = py + r * v;
    float mx = -INFINITY;
    for (int64_t i = 0; i < v; ++i) mx = std::max(mx, xr[i]);
    double s = 0;
    for (int64_t i = 0; i < v; ++i) s += std::exp(static_cast<double>(xr[i] - mx));
    float lse = mx + static_cast<float>(std::log(s));
    for (int64_t i = 0; i < v; ++i) yr[i] = xr[i] - lse;
  }
}

}  // namespace moemt::ops::cpu
