// Layer norm against a double-precision reference, and its backward against central
// differences of the double-precision reference.
#include "ops/layer_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"

#include "device_test.h"

namespace moemt::ops {

class LayerNormTest : public moemt::testing::DeviceTest {};
namespace {
std::vector<float> rndv(size_t n, uint64_t stream, float scale = 1.f, float shift = 0.f) {
  std::vector<float> v(n);
  RngStream r{6, stream};
  for (size_t i = 0; i < n; ++i) v[i] = shift + scale * r.normal(i);
  return v;
}

// Reference forward of one row in double; returns sum(y * probe).
double ref_loss(const std::vector<double>& x, const std::vector<float>& g,
                const std::vector<float>& b, const std::vector<float>& probe, int64_t rows,
                int64_t c, double eps) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < c; ++j) m += x[r * c + j];
    m /= c;
    for (int64_t j = 0; j < c; ++j) v += (x[r * c + j] - m) * (x[r * c + j] - m);
    v /= c;
    double rs = 1.0 / std::sqrt(v + eps);
    for (int64_t j = 0; j < c; ++j)
      total += ((x[r * c + j] - m) * rs * g[j] + b[j]) * probe[r * c + j];
  }
  return total;
}
}  // namespace

TEST_P(LayerNormTest, ForwardAndBackwardMatchReference) {
  MOEMT_NEEDS_KERNELS("layer_norm");
  const int64_t rows = 70, c = 24;  // > one 32-row block for the partial sums
  const float eps = 1e-5f;
  auto xv = rndv(rows * c, 1, 2.f, 3.f), gv = rndv(c, 2, 0.5f, 1.f), bv = rndv(c, 3);
  auto probe = rndv(rows * c, 4);
  Tensor x = on(Tensor::from_vector(xv, {rows, c})), g = on(Tensor::from_vector(gv, {c})),
         b = on(Tensor::from_vector(bv, {c}));
  Tensor y = empty({rows, c}), mean = empty({rows}), rstd = empty({rows});
  layer_norm_forward(x, g, b, eps, y, mean, rstd);
  auto yv = y.to_vector();
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t j = 0; j < c; ++j) m += xv[r * c + j];
    m /= c;
    for (int64_t j = 0; j < c; ++j) v += (xv[r * c + j] - m) * (xv[r * c + j] - m);
    v /= c;
    EXPECT_NEAR(mean.to_vector()[r], m, 1e-5);
    EXPECT_NEAR(rstd.to_vector()[r], 1 / std::sqrt(v + eps), 1e-4);
    for (int64_t j = 0; j < c; ++j)
      ASSERT_NEAR(yv[r * c + j], (xv[r * c + j] - m) / std::sqrt(v + eps) * gv[j] + bv[j], 1e-4);
  }
  // Inference form without saved statistics gives the same y.
  Tensor y2 = empty({rows, c}), none;
  layer_norm_forward(x, g, b, eps, y2, none, none);
  EXPECT_EQ(y2.to_vector(), yv);

  Tensor dy = on(Tensor::from_vector(probe, {rows, c})), dx = empty({rows, c});
  Tensor dg = on(Tensor::from_vector(std::vector<float>(c, 1.f), {c})), db = zeros({c});
  layer_norm_backward(dy, x, g, mean, rstd, dx, dg, db);
  auto dxv = dx.to_vector(), dgv = dg.to_vector(), dbv = db.to_vector();
  std::vector<double> xd(xv.begin(), xv.end());
  const double h = 1e-4;
  for (int64_t i = 0; i < rows * c; i += 7) {
    double o = xd[i];
    xd[i] = o + h;
    double lp = ref_loss(xd, gv, bv, probe, rows, c, eps);
    xd[i] = o - h;
    double lm = ref_loss(xd, gv, bv, probe, rows, c, eps);
    xd[i] = o;
    EXPECT_NEAR(dxv[i], (lp - lm) / (2 * h), 2e-3) << "dx element " << i;
  }
  for (int64_t j = 0; j < c; ++j) {
    double sg = 1.0, sb = 0;  // dgamma started at 1: accumulation
    for (int64_t r = 0; r < rows; ++r) {
      double m = mean.to_vector()[r], rs = rstd.to_vector()[r];
      sg += probe[r * c + j] * (xv[r * c + j] - m) * rs;
      sb += probe[r * c + j];
    }
    EXPECT_NEAR(dgv[j], sg, 1e-3);
    EXPECT_NEAR(dbv[j], sb, 1e-3);
  }
  // dx may alias dy.
  Tensor dy2 = on(Tensor::from_vector(probe, {rows, c})), dg2 = zeros({c}),
         db2 = zeros({c});
  layer_norm_backward(dy2, x, g, mean, rstd, dy2, dg2, db2);
  EXPECT_EQ(dy2.to_vector(), dxv);
}

MOEMT_INSTANTIATE_ON_DEVICES(LayerNormTest);

}  // namespace moemt::ops
