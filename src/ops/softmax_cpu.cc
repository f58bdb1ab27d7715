// CPU softmax: one row per OpenMP iteration; masks become a per-row limit on visible keys,
// since both padding and causal masks hide a suffix of the keys.
#include <algorithm>
#include <cmath>

#include "core/simd.h"
#include "ops/fast_exp.h"
#include "ops/softmax.h"

namespace moemt::ops::cpu {

namespace {
// y[0, n) = softmax(x[0, n)), n >= 1; x and y may be the same row.
MOEMT_SIMD_CLONES void softmax_row(const float* x, float* y, int64_t n) {
  const float m = max_of(x, n);
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) {
    y[j] = exp_nonpos(x[j] - m);
    s += y[j];
  }
  const float inv = 1.f / s;
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) y[j] *= inv;
}
}  // namespace

void softmax_forward(const Tensor& x, Tensor& y, const SoftmaxMask& mask) {
  const int64_t tk = x.shape().cols();
  const int64_t rows = x.numel() / tk;
  const int64_t tq = mask.any() ? x.size(1) : 1;
  const int32_t* lens = mask.key_lengths.defined() ? mask.key_lengths.data<int32_t>() : nullptr;
  const int64_t heads = lens ? x.size(0) / mask.key_lengths.size(0) : 1;
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for schedule(static) if (rows * tk > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    // Keys [0, limit) are visible to this row.
    int64_t limit = tk;
    if (lens) limit = std::min<int64_t>(limit, std::max<int32_t>(lens[r / tq / heads], 0));
    if (mask.causal)
      limit = std::min<int64_t>(limit, std::max<int64_t>(r % tq + mask.causal_offset + 1, 0));
    const float* xr = px + r * tk;
    float* yr = py + r * tk;
    if (limit <= 0) {
      std::fill(yr, yr + tk, 0.f);
      continue;
    }
    softmax_row(xr, yr, limit);
    std::fill(yr + limit, yr + tk, 0.f);
  }
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  const int64_t tk = y.shape().cols();
  const int64_t rows = y.numel() / tk;
  const float* py = y.data<float>();
  const float* pdy = dy.data<float>();
  float* pdx = dx.data<float>();
#pragma omp parallel for schedule(static) if (rows * tk > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = py + r * tk;
    const float* gr = pdy + r * tk;
    float* dr = pdx + r * tk;
    float s = 0.f;
    for (int64_t j = 0; j < tk; ++j) s += gr[j] * yr[j];
    for (int64_t j = 0; j < tk; ++j) dr[j] = yr[j] * (gr[j] - s);
  }
}

}  // namespace moemt::ops::cpu
