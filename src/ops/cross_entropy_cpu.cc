// CPU cross-entropy: one row per iteration (OpenMP over rows) in three sweeps: max; exp and
// sums (the exps stored in dlogits when there is one); normalise into the gradient. The exp is
// exp_nonpos (ops/fast_exp.h), which the compiler vectorises.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/simd.h"
#include "ops/cross_entropy.h"
#include "ops/fast_exp.h"

namespace moemt::ops::cpu {

namespace {
struct RowSums {
  float max;
  double se, sz;  // sum of exp(z - max), sum of z
};

// Sums in float over short runs, added into double: accurate and still vectorised. With dz,
// leaves exp(z - max) there (dz may alias z).
MOEMT_SIMD_CLONES RowSums row_sums(const float* z, float* dz, int64_t vocab) {
  const float m = max_of(z, vocab);
  double se = 0, sz = 0;
  constexpr int64_t kRun = 256;
  for (int64_t v0 = 0; v0 < vocab; v0 += kRun) {
    int64_t v1 = v0 + kRun < vocab ? v0 + kRun : vocab;
    float fse = 0.f, fsz = 0.f;
    if (dz) {
#pragma omp simd reduction(+ : fse, fsz)
      for (int64_t v = v0; v < v1; ++v) {
        float zv = z[v];
        float e = exp_nonpos(zv - m);
        dz[v] = e;
        fse += e;
        fsz += zv;
      }
    } else {
#pragma omp simd reduction(+ : fse, fsz)
      for (int64_t v = v0; v < v1; ++v) {
        fse += exp_nonpos(z[v] - m);
        fsz += z[v];
      }
    }
    se += fse;
    sz += fsz;
  }
  return {m, se, sz};
}

// d[v] = a * d[v] - b.
MOEMT_SIMD_CLONES void scale_shift(float* d, int64_t n, float a, float b) {
#pragma omp simd
  for (int64_t v = 0; v < n; ++v) d[v] = a * d[v] - b;
}
}  // namespace

void cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                   int32_t ignore_index, float grad_scale, Tensor& dlogits, Tensor& stats,
                   Tensor& row_loss) {
  const float* pz = logits.data<float>();
  const int32_t* pt = targets.data<int32_t>();
  float* pd = dlogits.defined() ? dlogits.data<float>() : nullptr;
  float* pl = row_loss.defined() ? row_loss.data<float>() : nullptr;
  const int64_t rows = logits.shape().rows(), vocab = logits.shape().cols();
  for (int64_t r = 0; r < rows; ++r)
    MOEMT_CHECK(pt[r] == ignore_index || (pt[r] >= 0 && pt[r] < vocab),
                "cross_entropy: target {} at row {} outside [0, {})", pt[r], r, vocab);
  const double eps = smoothing;
  const float uni = static_cast<float>(eps / static_cast<double>(vocab));
  const float on = static_cast<float>(1.0 - eps);
  std::vector<double> loss(static_cast<size_t>(rows), 0.0), nll(static_cast<size_t>(rows), 0.0);
#pragma omp parallel for schedule(static) if (rows * vocab > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = pz + r * vocab;
    float* dz = pd ? pd + r * vocab : nullptr;
    int32_t t = pt[r];
    if (t == ignore_index) {
      if (dz) std::memset(dz, 0, static_cast<size_t>(vocab) * sizeof(float));
      if (pl) pl[r] = 0.f;
      continue;
    }
    const float zt = z[t];  // read before dz (which may alias z) is written
    const RowSums rs = row_sums(z, dz, vocab);
    const double se = rs.se, sz = rs.sz;
    const float m = rs.max;
    double lse = m + std::log(se);
    // -log p_t and -mean_v log p_v = lse - mean_v z_v.
    double row_nll = lse - zt;
    double row_loss_v = (1.0 - eps) * row_nll + eps * (lse - sz / static_cast<double>(vocab));
    nll[r] = row_nll;
    loss[r] = row_loss_v;
    if (pl) pl[r] = static_cast<float>(row_loss_v);
    if (dz) {
      // d loss / d z_v = p_v - q_v with p_v = exp(z_v - m) / se.
      scale_shift(dz, vocab, static_cast<float>(grad_scale / se), grad_scale * uni);
      dz[t] -= grad_scale * on;
    }
  }
  if (!stats.defined()) return;
  // This call's sums, formed from 0 in row order, then added to the running statistics.
  double loss_sum = 0, nll_sum = 0;
  int64_t tokens = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (pt[r] == ignore_index) continue;
    loss_sum += loss[r];
    nll_sum += nll[r];
    ++tokens;
  }
  double* ps = stats.data<double>();
  ps[kLossSum] += loss_sum;
  ps[kNllSum] += nll_sum;
  ps[kTokens] += static_cast<double>(tokens);
}

}  // namespace moemt::ops::cpu
