// CPU cross-entropy: one row per iteration (OpenMP over rows) in three sweeps: max; exp and
// sums (the exps stored in dlogits when there is one); normalise into the gradient. The exp is
// a branch-free polynomial the compiler vectorises (libm's expf is scalar), accurate to a few
// ulp, which is far below what the loss and gradient need.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/cross_entropy.h"

namespace moemt::ops::cpu {

namespace {
// exp(x) for x <= 0 (arguments are z - max), Cephes-style: x = n ln2 + r, |r| <= ln2/2,
// exp(r) by a degree-7 polynomial, 2^n through the exponent bits. Returns 0 below -87.
inline float exp_nonpos(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f,
                  kRound = 12582912.f;  // 1.5 * 2^23
  float xc = std::max(x, -87.f);
  float t = xc * kLog2e + kRound;  // round to nearest integer in the low mantissa bits
  float n = t - kRound;
  float r = xc - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return x < -87.f ? 0.f : p * std::bit_cast<float>(bits);
}
}  // namespace

CrossEntropyStats cross_entropy(const Tensor& logits, const Tensor& targets, float smoothing,
                                int32_t ignore_index, float grad_scale, Tensor& dlogits,
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
    float m = z[0];
#pragma omp simd reduction(max : m)
    for (int64_t v = 0; v < vocab; ++v) m = z[v] > m ? z[v] : m;
    // Sums in float over short runs, added into double: accurate and still vectorised.
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
    double lse = m + std::log(se);
    // -log p_t and -mean_v log p_v = lse - mean_v z_v.
    double row_nll = lse - zt;
    double row_loss_v = (1.0 - eps) * row_nll + eps * (lse - sz / static_cast<double>(vocab));
    nll[r] = row_nll;
    loss[r] = row_loss_v;
    if (pl) pl[r] = static_cast<float>(row_loss_v);
    if (dz) {
      // d loss / d z_v = p_v - q_v with p_v = exp(z_v - m) / se.
      const float a = static_cast<float>(grad_scale / se), b = grad_scale * uni;
#pragma omp simd
      for (int64_t v = 0; v < vocab; ++v) dz[v] = a * dz[v] - b;
      dz[t] -= grad_scale * on;
    }
  }
  CrossEntropyStats s;
  for (int64_t r = 0; r < rows; ++r) {
    if (pt[r] == ignore_index) continue;
    s.loss_sum += loss[r];
    s.nll_sum += nll[r];
    ++s.tokens;
  }
  return s;
}

}  // namespace moemt::ops::cpu
