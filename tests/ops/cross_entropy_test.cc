// Label-smoothed cross-entropy against a double-precision reference: statistics, per-row
// loss, gradient (analytic and finite differences), ignored rows and in-place use.
#include "ops/cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"

#include "device_test.h"

namespace moemt::ops {

class CrossEntropyTest : public moemt::testing::DeviceTest {};
namespace {
constexpr int32_t kPad = 1;

std::vector<float> rndv(size_t n, uint64_t stream, float scale) {
  std::vector<float> v(n);
  RngStream r{9, stream};
  for (size_t i = 0; i < n; ++i) v[i] = scale * r.normal(i);
  return v;
}

// Smoothed loss of one row in double: (1-eps) * nll + eps * mean_v(-log p_v).
double ref_row(const std::vector<double>& z, int64_t off, int64_t vocab, int32_t t, double eps,
               double* nll) {
  double m = -1e300;
  for (int64_t v = 0; v < vocab; ++v) m = std::max(m, z[off + v]);
  double se = 0;
  for (int64_t v = 0; v < vocab; ++v) se += std::exp(z[off + v] - m);
  double lse = m + std::log(se), smooth = 0;
  for (int64_t v = 0; v < vocab; ++v) smooth += (lse - z[off + v]) / vocab;
  *nll = lse - z[off + t];
  return (1 - eps) * *nll + eps * smooth;
}
}  // namespace

TEST_P(CrossEntropyTest, MatchesReferenceWithSmoothingAndIgnore) {
  MOEMT_NEEDS_KERNELS("cross_entropy");
  const int64_t rows = 9, vocab = 13;
  const float eps = 0.1f, gs = 0.5f;
  auto zv = rndv(rows * vocab, 1, 3.f);
  zv[5] = 60.f;  // a large logit: the log-sum-exp must stay finite
  std::vector<int32_t> tv = {3, kPad, 0, 12, 7, kPad, 5, 2, 3};
  Tensor z = on(Tensor::from_vector(zv, {rows, vocab})), t = on(Tensor::from_vector(tv, {rows}));
  Tensor row_loss = empty({rows}), dz = empty({rows, vocab});
  Tensor sf = zeros({kCrossEntropyStats}, DType::f64), sb = zeros({kCrossEntropyStats}, DType::f64);
  cross_entropy_forward(z, t, eps, kPad, sf, row_loss);
  cross_entropy_fused(z, t, eps, kPad, gs, dz, sb, row_loss);
  auto fwd = read_cross_entropy_stats_to_host(sf), fused = read_cross_entropy_stats_to_host(sb);

  std::vector<double> zd(zv.begin(), zv.end());
  double loss = 0, nll_sum = 0;
  auto rl = row_loss.to_vector();
  auto dzv = dz.to_vector();
  for (int64_t r = 0; r < rows; ++r) {
    if (tv[r] == kPad) {
      EXPECT_EQ(rl[r], 0.f);
      for (int64_t v = 0; v < vocab; ++v) EXPECT_EQ(dzv[r * vocab + v], 0.f);
      continue;
    }
    double nll;
    double l = ref_row(zd, r * vocab, vocab, tv[r], eps, &nll);
    loss += l;
    nll_sum += nll;
    EXPECT_NEAR(rl[r], l, 1e-4 * (1 + std::abs(l)));
    // Gradient = gs * d loss / d z, checked by central differences of the reference.
    for (int64_t v = 0; v < vocab; ++v) {
      double h = 1e-5, o = zd[r * vocab + v], n1;
      zd[r * vocab + v] = o + h;
      double lp = ref_row(zd, r * vocab, vocab, tv[r], eps, &n1);
      zd[r * vocab + v] = o - h;
      double lm = ref_row(zd, r * vocab, vocab, tv[r], eps, &n1);
      zd[r * vocab + v] = o;
      EXPECT_NEAR(dzv[r * vocab + v], gs * (lp - lm) / (2 * h), 1e-5) << r << "," << v;
    }
  }
  EXPECT_EQ(fwd.tokens, 7);
  EXPECT_EQ(fused.tokens, 7);
  EXPECT_NEAR(fwd.loss_sum, loss, 1e-6 * loss);
  EXPECT_NEAR(fwd.nll_sum, nll_sum, 1e-6 * nll_sum);
  EXPECT_EQ(fused.loss_sum, fwd.loss_sum);
  EXPECT_EQ(fused.nll_sum, fwd.nll_sum);

  // In place (dlogits aliases logits) and the backward-only form give the same gradient.
  Tensor z2 = on(Tensor::from_vector(zv, {rows, vocab})), none;
  cross_entropy_fused(z2, t, eps, kPad, gs, z2, none, none);
  EXPECT_EQ(z2.to_vector(), dzv);
  Tensor dz3 = empty({rows, vocab});
  cross_entropy_backward(z, t, eps, kPad, gs, dz3);
  EXPECT_EQ(dz3.to_vector(), dzv);
}

TEST_P(CrossEntropyTest, NoSmoothingIsNllAndBadTargetsFail) {
  MOEMT_NEEDS_KERNELS("cross_entropy");
  const int64_t rows = 4, vocab = 6;
  auto zv = rndv(rows * vocab, 2, 1.f);
  Tensor z = on(Tensor::from_vector(zv, {rows, vocab}));
  Tensor t = on(Tensor::from_vector(std::vector<int32_t>{0, 5, 2, 4}, {rows})), none;
  Tensor st = zeros({kCrossEntropyStats}, DType::f64);
  cross_entropy_forward(z, t, 0.f, -1, st, none);
  auto s = read_cross_entropy_stats_to_host(st);
  EXPECT_EQ(s.tokens, 4);
  EXPECT_DOUBLE_EQ(s.loss_sum, s.nll_sum);
  // A second call adds its sums to the same statistics.
  cross_entropy_forward(z, t, 0.f, -1, st, none);
  auto s2 = read_cross_entropy_stats_to_host(st);
  EXPECT_EQ(s2.tokens, 8);
  EXPECT_DOUBLE_EQ(s2.nll_sum, 2 * s.nll_sum);
  Tensor bad = on(Tensor::from_vector(std::vector<int32_t>{0, 6, 2, 4}, {rows}));
  EXPECT_THROW(cross_entropy_forward(z, bad, 0.f, -1, st, none), InternalError);
}

TEST_P(CrossEntropyTest, SoftmaxAccurateOverWideLogitRange) {
  MOEMT_NEEDS_KERNELS("cross_entropy");
  // Logits from -120 to 20: probabilities span ~60 orders of magnitude; the vectorised exp
  // match double precision to 2e-5 relative (f32 rounding of z - max at |z| ~ 100 alone gives
  // ~1e-5) wherever the result is a normal float.
  const int64_t vocab = 1401;
  std::vector<float> zv(vocab);
  for (int64_t v = 0; v < vocab; ++v) zv[v] = -120.f + 0.1f * static_cast<float>(v);
  Tensor z = on(Tensor::from_vector(zv, {1, vocab})), dz = empty({1, vocab}), none;
  Tensor t = on(Tensor::from_vector(std::vector<int32_t>{3}, {1}));
  Tensor st = zeros({kCrossEntropyStats}, DType::f64);
  cross_entropy_fused(z, t, 0.f, -1, 1.f, dz, st, none);
  auto s = read_cross_entropy_stats_to_host(st);
  double se = 0;
  for (float f : zv) se += std::exp(static_cast<double>(f) - 20.0);
  double lse = 20.0 + std::log(se);
  EXPECT_NEAR(s.nll_sum, lse - zv[3], 1e-4);
  auto d = dz.to_vector();
  for (int64_t v = 0; v < vocab; ++v) {
    double p = std::exp(zv[v] - lse) - (v == 3 ? 1.0 : 0.0);
    if (std::abs(p) > 1e-36)
      EXPECT_NEAR(d[v], p, 2e-5 * std::abs(p)) << v;
    else
      EXPECT_LT(std::abs(d[v]), 1e-36) << v;
  }
}

MOEMT_INSTANTIATE_ON_DEVICES(CrossEntropyTest);

}  // namespace moemt::ops
