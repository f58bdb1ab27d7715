// CPU accumulate_f64: a handful of statistics per call, so one plain loop.
#include "ops/accumulate.h"

namespace moemt::ops::cpu {

void accumulate_f64(Tensor& acc, const Tensor& x, double scale) {
  double* a = acc.data<double>();
  const int64_t n = acc.numel();
  if (x.dtype() == DType::f64) {
    const double* p = x.data<double>();
    for (int64_t i = 0; i < n; ++i) a[i] += scale * p[i];
  } else {
    const float* p = x.data<float>();
    for (int64_t i = 0; i < n; ++i) a[i] += scale * static_cast<double>(p[i]);
  }
}

}  // namespace moemt::ops::cpu
