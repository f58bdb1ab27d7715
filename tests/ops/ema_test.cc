// Moving-average op against the formula computed in double, Marian's decay schedule, and the
// checks on shapes and the decay.
#include "ops/ema.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"

namespace moemt::ops {

TEST(EmaUpdate, MatchesFormulaInDouble) {
  // 9 elements stay in one share; 200003 take the threaded path with a ragged tail.
  for (int64_t n : {9, 200003}) {
    std::vector<float> a0(static_cast<size_t>(n)), w0(static_cast<size_t>(n));
    RngStream r{5, 1};
    for (int64_t i = 0; i < n; ++i) {
      a0[i] = r.normal(2 * i);
      w0[i] = r.normal(2 * i + 1);
    }
    Tensor avg = Tensor::from_vector(a0, {n}), w = Tensor::from_vector(w0, {n});
    const float decay = 1e-2f;
    ema_update(avg, w, decay);
    auto a1 = avg.to_vector();
    for (int64_t i = 0; i < n; ++i) {
      const double ref = (1.0 - decay) * a0[i] + static_cast<double>(decay) * w0[i];
      // Two f32 products and a sum: a few ulps of the larger term.
      ASSERT_NEAR(a1[i], ref, 3e-7 * (std::abs(a0[i]) + std::abs(w0[i]))) << i;
    }
  }
}

TEST(EmaUpdate, DecayFollowsMarian) {
  // max(factor, 1 - (t + 1) / (t + 10)): 0.818 at t = 1, then the factor once it is larger.
  EXPECT_FLOAT_EQ(math::ema_decay(1e-4f, 1), 1.f - 2.f / 11.f);
  EXPECT_FLOAT_EQ(math::ema_decay(1e-4f, 100000), 1e-4f);
  EXPECT_FLOAT_EQ(math::ema_decay(0.5f, 10), 0.5f);
  EXPECT_GT(math::ema_decay(1e-4f, 1000), 1e-4f);  // 9 / 1010, still above the factor
}

TEST(EmaUpdate, ChecksArguments) {
  Tensor a = Tensor::zeros({4}), b = Tensor::zeros({3});
  EXPECT_THROW(ema_update(a, b, 0.1f), InternalError);
  Tensor c = Tensor::zeros({4});
  EXPECT_THROW(ema_update(a, c, 1.5f), InternalError);
}

}  // namespace moemt::ops
