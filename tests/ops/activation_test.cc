// Activation ops: the shared formulas (ops/math/activation.h) against double references and
// finite differences, and the CPU op against the formulas element for element.
#include "ops/activation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/math/activation.h"

namespace moemt::ops {
namespace {
double gelu_ref(double v) {
  return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
}
double gelu_erf_ref(double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }
// Central difference in double, step h.
template <class F>
double slope(F f, double v, double h = 1e-5) {
  return (f(v + h) - f(v - h)) / (2 * h);
}
}  // namespace

TEST(ActivationMath, MatchesDoubleReferences) {
  for (double v = -6; v <= 6; v += 0.37) {
    const float x = static_cast<float>(v);
    EXPECT_EQ(math::relu(x), v > 0 ? x : 0.f);
    EXPECT_EQ(math::relu_backward(x, 3.f), v > 0 ? 3.f : 0.f);
    EXPECT_NEAR(math::gelu(x), gelu_ref(x), 2e-6 * (1 + std::abs(v))) << v;
    EXPECT_NEAR(math::gelu_erf(x), gelu_erf_ref(x), 2e-6 * (1 + std::abs(v))) << v;
    EXPECT_NEAR(math::gelu_grad(x), slope(gelu_ref, x), 1e-5) << v;
    EXPECT_NEAR(math::gelu_erf_grad(x), slope(gelu_erf_ref, x), 1e-5) << v;
  }
}

TEST(Activation, OpRunsTheSharedFormula) {
  const int64_t n = 40001;  // past the threaded size
  std::vector<float> xv(n), dyv(n);
  for (int64_t i = 0; i < n; ++i) {
    xv[i] = 0.0003f * static_cast<float>(i - n / 2);
    dyv[i] = 1.f + 0.001f * static_cast<float>(i % 7);
  }
  Tensor x = Tensor::from_vector(xv, {n}), dy = Tensor::from_vector(dyv, {n});
  Tensor y = Tensor::empty({n}), dx = Tensor::empty({n});
  using F = float (*)(float);
  const struct {
    Activation act;
    F f, grad;
  } cases[] = {{Activation::relu, math::relu, [](float v) { return math::relu_backward(v, 1.f); }},
               {Activation::gelu, math::gelu, math::gelu_grad},
               {Activation::gelu_erf, math::gelu_erf, math::gelu_erf_grad}};
  for (const auto& c : cases) {
    activation_forward(c.act, x, y);
    activation_backward(c.act, x, dy, dx);
    auto yv = y.to_vector(), dxv = dx.to_vector();
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_FLOAT_EQ(yv[i], c.f(xv[i])) << activation_name(c.act) << " " << i;
      ASSERT_FLOAT_EQ(dxv[i], dyv[i] * c.grad(xv[i])) << activation_name(c.act) << " " << i;
    }
  }
}

}  // namespace moemt::ops
