// CPU global norm: one static share per thread, each summed by a vectorised loop with eight
// double accumulators, shares combined in thread order.
#include <omp.h>

#include <vector>

#include "core/simd.h"
#include "ops/global_norm.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kChunk = 1 << 16;  // elements per thread at least: memory-bound loop

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
}  // namespace

void global_norm_sq(const Tensor& g, Tensor& out) {
  const float* pg = g.data<float>();
  std::vector<double> part(omp_get_max_threads(), 0.0);
  int shares = parallel_chunks(g.numel(), kChunk, [&](int t, int64_t lo, int64_t hi) {
    part[t] = sum_squares(pg + lo, hi - lo);
  });
  double s = 0;
  for (int t = 0; t < shares; ++t) s += part[t];
  *out.data<double>() = s;
}

}  // namespace moemt::ops::cpu
