// CPU top-k: one insertion pass per row keeping a sorted list of k; E and k are small in MoE
// routing (E <= a few hundred, k <= 4), where this beats a heap or a partial sort.
#include <limits>

#include "ops/math/topk.h"
#include "ops/topk.h"

namespace moemt::ops::cpu {

void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) {
  int64_t n = x.shape().rows(), e = x.shape().cols();
  const float* px = x.data<float>();
  float* pv = values.data<float>();
  int32_t* pi = indices.data<int32_t>();
#pragma omp parallel for schedule(static) if (n * e > 32768)
  for (int64_t r = 0; r < n; ++r) math::topk_row(px + r * e, e, k, pv + r * k, pi + r * k);
}

}  // namespace moemt::ops::cpu
