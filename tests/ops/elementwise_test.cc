// Elementwise and reduction ops against naive loops, including aliasing and sizes large
// enough to take the OpenMP paths.
#include "ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "device_test.h"
#include "ops/reduce.h"

namespace moemt::ops {
namespace {
Tensor rnd(const Shape& s, uint64_t stream) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{5, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = r.normal(i);
  return Tensor::from_vector(v, s);
}
}  // namespace

class ElementwiseTest : public moemt::testing::DeviceTest {};

TEST_P(ElementwiseTest, AddMulScaleAndAliasing) {
  MOEMT_NEEDS_KERNELS("elementwise");
  for (int64_t n : {7, 100003}) {
    Tensor a = on(rnd({n}, 1)), b = on(rnd({n}, 2)), out = empty({n});
    auto va = a.to_vector(), vb = b.to_vector();
    add(a, b, out);
    auto vo = out.to_vector();
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(vo[i], va[i] + vb[i]);
    mul(a, b, out);
    vo = out.to_vector();
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(vo[i], va[i] * vb[i]);
    add(a, b, a);  // out aliases a
    auto va2 = a.to_vector();
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(va2[i], va[i] + vb[i]);
    add_inplace(a, b, -2.f);
    va2 = a.to_vector();
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(va2[i], va[i] - vb[i], 1e-5);
    scale(b, 0.5f);
    auto vb2 = b.to_vector();
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(vb2[i], 0.5f * vb[i]);
    Tensor c = empty({n});
    copy(b, c);
    EXPECT_EQ(c.to_vector(), b.to_vector());
  }
  Tensor bad = empty({3});
  Tensor a = on(rnd({4}, 3));
  EXPECT_THROW(add(a, a, bad), InternalError);
}

TEST_P(ElementwiseTest, BiasAddAndGrad) {
  MOEMT_NEEDS_KERNELS("elementwise");
  for (int64_t rows : {3, 1000}) {
    const int64_t c = 37;
    Tensor y = on(rnd({rows, c}, 4)), bias = on(rnd({c}, 5));
    auto vy = y.to_vector(), vb = bias.to_vector();
    add_bias(y, bias);
    auto vy2 = y.to_vector();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < c; ++j) ASSERT_FLOAT_EQ(vy2[r * c + j], vy[r * c + j] + vb[j]);
    Tensor db = on(rnd({c}, 6));
    auto vdb = db.to_vector();
    bias_grad(y.reshape({rows / 1, c}), db);  // accumulates onto the existing values
    auto vdb2 = db.to_vector();
    for (int64_t j = 0; j < c; ++j) {
      double s = vdb[j];
      for (int64_t r = 0; r < rows; ++r) s += vy2[r * c + j];
      EXPECT_NEAR(vdb2[j], s, 1e-4 * (1 + std::abs(s)));
    }
  }
  Tensor y = on(rnd({2, 4}, 7)), b = on(rnd({5}, 8));
  EXPECT_THROW(add_bias(y, b), InternalError);
}

TEST_P(ElementwiseTest, ReduceSumsMatchNaive) {
  MOEMT_NEEDS_KERNELS("reduce");
  Tensor x = on(rnd({3, 40000}, 9));  // several 16k blocks
  auto v = x.to_vector();
  double s = 0, s2 = 0;
  for (float f : v) {
    s += f;
    s2 += static_cast<double>(f) * f;
  }
  EXPECT_NEAR(sum(x), s, 1e-9 * v.size());
  EXPECT_NEAR(sum_squares(x), s2, 1e-9 * v.size());
  Tensor rs = empty({3});
  row_sum(x, rs);
  for (int r = 0; r < 3; ++r) {
    double t = 0;
    for (int j = 0; j < 40000; ++j) t += v[r * 40000 + j];
    EXPECT_NEAR(rs.to_vector()[r], t, 1e-3);
  }
}

MOEMT_INSTANTIATE_ON_DEVICES(ElementwiseTest);

}  // namespace moemt::ops
