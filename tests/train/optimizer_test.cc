// Adam against a hand-computed update, clipping, and the learning-rate schedule.
#include "train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "train/schedule.h"

namespace moemt::train {

TEST(Adam, FirstStepsMatchFormula) {
  ParamStore store;
  Param p = store.add("w", {2}, InitSpec::Constant(1.f));
  store.finalize(Device::cpu(), 0);
  AdamOptions o;
  o.clip_norm = 0;
  Adam adam(store, o);
  // Two steps with gradients (0.5, -2) then (0.1, 0.3); reference computed in double.
  double w[2] = {1, 1}, m[2] = {0, 0}, v[2] = {0, 0};
  double grads[2][2] = {{0.5, -2}, {0.1, 0.3}};
  for (int t = 1; t <= 2; ++t) {
    p.g().data<float>()[0] = static_cast<float>(grads[t - 1][0]);
    p.g().data<float>()[1] = static_cast<float>(grads[t - 1][1]);
    adam.step(0.01f);
    for (int i = 0; i < 2; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * grads[t - 1][i];
      v[i] = 0.98 * v[i] + 0.02 * grads[t - 1][i] * grads[t - 1][i];
      double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.98, t));
      w[i] -= 0.01 * mh / (std::sqrt(vh) + 1e-9);
      EXPECT_NEAR(p.w().to_vector()[i], w[i], 1e-6);
    }
  }
}

TEST(Adam, ClipsByGlobalNormAndSkipsNonFinite) {
  ParamStore store;
  Param p = store.add("w", {2}, InitSpec::Zeros());
  store.finalize(Device::cpu(), 0);
  AdamOptions o;
  o.clip_norm = 1.f;
  Adam adam(store, o);
  p.g().data<float>()[0] = 3.f;
  p.g().data<float>()[1] = 4.f;
  EXPECT_NEAR(adam.step(0.1f), 5.0, 1e-6);
  // After clipping the gradient is (0.6, 0.8); the first Adam step moves by lr * sign.
  EXPECT_NEAR(adam.m().to_vector()[0], 0.1 * 0.6, 1e-6);
  p.g().data<float>()[0] = NAN;
  auto before = p.w().to_vector();
  EXPECT_FALSE(std::isfinite(adam.step(0.1f)));
  EXPECT_EQ(p.w().to_vector(), before);
  EXPECT_EQ(adam.steps(), 1);
}

TEST(LrSchedule, WarmupThenInverseSqrt) {
  LrSchedule s{1.f, 100, 0};
  EXPECT_NEAR(s.lr_at(1), 0.01f, 1e-7);
  EXPECT_NEAR(s.lr_at(50), 0.5f, 1e-7);
  EXPECT_NEAR(s.lr_at(100), 1.f, 1e-7);
  EXPECT_NEAR(s.lr_at(400), 0.5f, 1e-7);
  LrSchedule none{2.f, 0, 0};
  EXPECT_EQ(none.lr_at(1000), 2.f);
}

}  // namespace moemt::train
