// CPU top-k: one insertion pass per row keeping a sorted list of k; E and k are small in MoE
// routing (E <= a few hundred, k <= 4), where this beats a heap or a partial sort.
#include <limits>

#include "ops/topk.h"

namespace moemt::ops::cpu {

void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) {
  int64_t n = x.shape().rows(), e = x.shape().cols();
  const float* px = x.data<float>();
  float* pv = values.data<float>();
  int32_t* pi = indices.data<int32_t>();
#pragma omp parallel for schedule(static) if (n * e > 32768)
  for (int64_t r = 0; r < n; ++r) {
    const float* row = px + r * e;
    float* v = pv + r * k;
    int32_t* id = pi + r * k;
    int filled = 0;
    for (int64_t c = 0; c < e; ++c) {
      float val = row[c];
      // Strictly greater: among equal values the earlier (lower) index stays ahead.
      if (filled == k && !(val > v[k - 1])) continue;
      int pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && val > v[pos - 1]) {
        v[pos] = v[pos - 1];
        id[pos] = id[pos - 1];
        --pos;
      }
      v[pos] = val;
      id[pos] = static_cast<int32_t>(c);
    }
  }
}

}  // namespace moemt::ops::cpu
