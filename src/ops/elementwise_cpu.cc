// CPU elementwise ops, OpenMP-parallel over elements or rows.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/elementwise.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // below this many elements threads cost more
constexpr int64_t kRowBlock = 64;          // rows per partial sum in bias_grad
}  // namespace

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  int64_t n = a.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) po[i] = pa[i] + pb[i];
}

void add_inplace(Tensor& y, const Tensor& x, float scale) {
  float* py = y.data<float>();
  const float* px = x.data<float>();
  int64_t n = y.numel();
  if (scale == 1.f) {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) py[i] += px[i];
  } else {
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) py[i] += scale * px[i];
  }
}

void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  int64_t n = a.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) po[i] = pa[i] * pb[i];
}

void scale(Tensor& x, float s) {
  float* p = x.data<float>();
  int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) p[i] *= s;
}

void add_bias(Tensor& y, const Tensor& bias) {
  float* py = y.data<float>();
  const float* pb = bias.data<float>();
  int64_t rows = y.shape().rows(), c = y.shape().cols();
#pragma omp parallel for schedule(static) if (rows * c > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = py + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) row[j] += pb[j];
  }
}

void bias_grad(const Tensor& dy, Tensor& db) {
  const float* pdy = dy.data<float>();
  float* pdb = db.data<float>();
  int64_t rows = dy.shape().rows(), c = dy.shape().cols();
  // Partial sums over fixed row blocks, then a fixed-order sum of the blocks: the result does
  // not depend on the number of threads.
  int64_t nblocks = (rows + kRowBlock - 1) / kRowBlock;
  std::vector<float> partial(static_cast<size_t>(nblocks * c), 0.f);
#pragma omp parallel for schedule(static) if (rows * c > kParallelMin)
  for (int64_t b = 0; b < nblocks; ++b) {
    float* acc = partial.data() + b * c;
    int64_t r1 = std::min(rows, (b + 1) * kRowBlock);
    for (int64_t r = b * kRowBlock; r < r1; ++r) {
      const float* row = pdy + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) acc[j] += row[j];
    }
  }
#pragma omp parallel for schedule(static) if (nblocks * c > kParallelMin)
  for (int64_t j = 0; j < c; ++j) {
    double s = 0;
    for (int64_t b = 0; b < nblocks; ++b) s += partial[b * c + j];
    pdb[j] += static_cast<float>(s);
  }
}

void copy(const Tensor& src, Tensor& dst) {
  if (src.raw() == dst.raw()) return;
  std::memcpy(dst.raw(), src.raw(), src.nbytes());
}

}  // namespace moemt::ops::cpu
