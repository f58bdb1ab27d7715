// Adam op against the textbook AdamW formula computed in double, the global norm against a
// plain double sum, and the checks on shapes, dtypes and the step count.
#include "ops/adam.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "core/threads.h"
#include "ops/global_norm.h"

namespace moemt::ops {
namespace {
std::vector<float> rnd(int64_t n, uint64_t stream, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  RngStream r{21, stream};
  for (int64_t i = 0; i < n; ++i) v[i] = scale * r.normal(i);
  return v;
}
}  // namespace

TEST(AdamStep, MatchesTextbookFormula) {
  // 7 elements stay in one share; 200003 take the threaded path with a ragged tail.
  for (int64_t n : {7, 200003}) {
    auto w0 = rnd(n, 1, 1.f), g0 = rnd(n, 2, 0.1f), m0 = rnd(n, 3, 0.01f), v0 = rnd(n, 4, 1e-3f);
    for (float& x : v0) x = std::abs(x);  // a second moment is never negative
    Tensor w = Tensor::from_vector(w0, {n}), g = Tensor::from_vector(g0, {n});
    Tensor m = Tensor::from_vector(m0, {n}), v = Tensor::from_vector(v0, {n});
    const AdamStepArgs a{.lr = 3e-3f,
                         .beta1 = 0.9f,
                         .beta2 = 0.98f,
                         .eps = 1e-8f,
                         .weight_decay = 0.01f,
                         .step = 7,
                         .grad_scale = 0.5f};
    adam_step(w, g, m, v, a);
    auto w1 = w.to_vector(), m1 = m.to_vector(), v1 = v.to_vector();
    // The hyperparameters as the op receives them (f32): 1 - 0.98f is 1e-6 away from 0.02.
    const double b1 = a.beta1, b2 = a.beta2, lr = a.lr, eps = a.eps, wd = a.weight_decay;
    const double c1 = 1 - std::pow(b1, 7), c2 = 1 - std::pow(b2, 7);
    for (int64_t i = 0; i < n; ++i) {
      const double gi = 0.5 * g0[i];
      const double mi = b1 * m0[i] + (1 - b1) * gi, vi = b2 * v0[i] + (1 - b2) * gi * gi;
      const double wi = w0[i] - lr * (mi / c1) / (std::sqrt(vi / c2) + eps) - lr * wd * w0[i];
      // f32 rounding, relative to the terms added (they may cancel).
      ASSERT_NEAR(m1[i], mi, 1e-6 * (b1 * std::abs(m0[i]) + (1 - b1) * std::abs(gi))) << i;
      ASSERT_NEAR(v1[i], vi, 1e-6 * vi + 1e-15) << i;
      // The update is ~lr; f32 rounding of w itself dominates the error.
      ASSERT_NEAR(w1[i], wi, 1e-6 * std::abs(wi) + 1e-8) << i;
    }
  }
}

TEST(AdamStep, ChecksArguments) {
  Tensor a = Tensor::zeros({4}), b = Tensor::zeros({4}), c = Tensor::zeros({4});
  Tensor short_v = Tensor::zeros({3});
  EXPECT_THROW(adam_step(a, b, c, short_v, {.lr = 1.f}), InternalError);
  EXPECT_THROW(adam_step(a, b, c, c, {.lr = 1.f, .step = 0}), InternalError);
}

TEST(GlobalNormSq, MatchesDoubleSumAndIsStablePerThreadCount) {
  for (int64_t n : {0, 5, 300001}) {
    auto g = rnd(n, 5, 3.f);
    double ref = 0;
    for (float x : g) ref += static_cast<double>(x) * x;
    Tensor t = Tensor::from_vector(g, {n}), out = Tensor::zeros({1}, DType::f64);
    const int saved = num_threads();
    for (int threads : {1, 3}) {
      set_num_threads(threads);
      global_norm_sq(t, out);
      const double s = read_scalar<double>(out);
      EXPECT_NEAR(s, ref, 1e-12 * ref) << n << " elements, " << threads << " threads";
      global_norm_sq(t, out);
      EXPECT_EQ(read_scalar<double>(out), s);  // same thread count, same bits
    }
    set_num_threads(saved);
  }
  Tensor g = Tensor::zeros({4}), f32_out = Tensor::zeros({1});
  EXPECT_THROW(global_norm_sq(g, f32_out), InternalError);  // the sum needs f64
}

}  // namespace moemt::ops
