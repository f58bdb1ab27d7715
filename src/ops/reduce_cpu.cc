// CPU reductions: per-block partial sums in parallel, then a sequential sum of the blocks.
#include <algorithm>
#include <vector>

#include "ops/reduce.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kBlock = 1 << 14;  // elements per partial sum

template <bool kSquare>
double block_sum(const float* p, int64_t n) {
  int64_t nblocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(nblocks), 0.0);
#pragma omp parallel for schedule(static) if (nblocks > 1)
  for (int64_t b = 0; b < nblocks; ++b) {
    int64_t i1 = std::min(n, (b + 1) * kBlock);
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b * kBlock; i < i1; ++i) {
      double v = p[i];
      s += kSquare ? v * v : v;
    }
    partial[b] = s;
  }
  double s = 0;
  for (double v : partial) s += v;
  return s;
}
}  // namespace

double sum(const Tensor& x) { return block_sum<false>(x.data<float>(), x.numel()); }

double sum_squares(const Tensor& x) { return block_sum<true>(x.data<float>(), x.numel()); }

void row_sum(const Tensor& x, Tensor& out) {
  const float* px = x.data<float>();
  float* po = out.data<float>();
  int64_t rows = x.shape().rows(), c = x.shape().cols();
#pragma omp parallel for schedule(static) if (rows * c > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    const float* row = px + r * c;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < c; ++j) s += row[j];
    po[r] = static_cast<float>(s);
  }
}

}  // namespace moemt::ops::cpu
