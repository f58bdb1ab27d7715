// CPU layer norm: one row per iteration, OpenMP over rows; statistics in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/layer_norm.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kRowBlock = 32;  // rows per partial dgamma/dbeta sum
}

void layer_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& y, Tensor& mean, Tensor& rstd) {
  const float* px = x.data<float>();
  const float* pg = gamma.data<float>();
  const float* pb = beta.data<float>();
  float* py = y.data<float>();
  float* pm = mean.defined() ? mean.data<float>() : nullptr;
  float* pr = rstd.defined() ? rstd.data<float>() : nullptr;
  int64_t rows = x.shape().rows(), c = x.shape().cols();
#pragma omp parallel for schedule(static) if (rows * c > (1 << 14))
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = px + r * c;
    float* yr = py + r * c;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < c; ++j) s += xr[j];
    double m = s / static_cast<double>(c);
    double v = 0;
#pragma omp simd reduction(+ : v)
    for (int64_t j = 0; j < c; ++j) {
      double d = xr[j] - m;
      v += d * d;
    }
    float rs = static_cast<float>(1.0 / std::sqrt(v / static_cast<double>(c) + eps));
    float mf = static_cast<float>(m);
    if (pm) {
      pm[r] = mf;
      pr[r] = rs;
    }
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) yr[j] = (xr[j] - mf) * rs * pg[j] + pb[j];
  }
}

void layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                         const Tensor& rstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const float* pdy = dy.data<float>();
  const float* px = x.data<float>();
  const float* pg = gamma.data<float>();
  const float* pm = mean.data<float>();
  const float* pr = rstd.data<float>();
  float* pdx = dx.data<float>();
  int64_t rows = x.shape().rows(), c = x.shape().cols();
  int64_t nblocks = (rows + kRowBlock - 1) / kRowBlock;
  // Per-block partial parameter gradients, combined below in block order (deterministic).
  std::vector<float> pgam(static_cast<size_t>(nblocks * c), 0.f);
  std::vector<float> pbet(static_cast<size_t>(nblocks * c), 0.f);
#pragma omp parallel for schedule(static) if (rows * c > (1 << 14))
  for (int64_t b = 0; b < nblocks; ++b) {
    float* ag = pgam.data() + b * c;
    float* ab = pbet.data() + b * c;
    int64_t r1 = std::min(rows, (b + 1) * kRowBlock);
    for (int64_t r = b * kRowBlock; r < r1; ++r) {
      const float* xr = px + r * c;
      const float* dyr = pdy + r * c;
      float* dxr = pdx + r * c;
      float m = pm[r], rs = pr[r];
      // Forward: y = xhat * gamma + beta with xhat = (x - mean) * rstd. Then
      // dxhat = dy * gamma and dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
      double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t j = 0; j < c; ++j) {
        float xh = (xr[j] - m) * rs;
        float dxh = dyr[j] * pg[j];
        ag[j] += dyr[j] * xh;
        ab[j] += dyr[j];
        s1 += dxh;
        s2 += static_cast<double>(dxh) * xh;
      }
      float a = static_cast<float>(s1 / static_cast<double>(c));
      float bb = static_cast<float>(s2 / static_cast<double>(c));
#pragma omp simd
      for (int64_t j = 0; j < c; ++j) {
        float xh = (xr[j] - m) * rs;
        dxr[j] = rs * (dyr[j] * pg[j] - a - xh * bb);
      }
    }
  }
  float* pdg = dgamma.data<float>();
  float* pdb = dbeta.data<float>();
#pragma omp parallel for schedule(static) if (nblocks * c > (1 << 15))
  for (int64_t j = 0; j < c; ++j) {
    double sg = 0, sb = 0;
    for (int64_t b = 0; b < nblocks; ++b) {
      sg += pgam[b * c + j];
      sb += pbet[b * c + j];
    }
    pdg[j] += static_cast<float>(sg);
    pdb[j] += static_cast<float>(sb);
  }
}

}  // namespace moemt::ops::cpu
