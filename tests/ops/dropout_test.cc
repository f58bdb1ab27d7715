// Dropout: the mask equals rng.uniform(i) >= p, kept values are scaled, the keep rate is
// close to 1-p, and both backward forms agree.
#include "ops/dropout.h"

#include <gtest/gtest.h>

#include "device_test.h"

namespace moemt::ops {

class DropoutTest : public moemt::testing::DeviceTest {};

TEST_P(DropoutTest, MaskFollowsStreamAndBackwardsAgree) {
  MOEMT_NEEDS_KERNELS("dropout");
  const int64_t n = 50001;  // several chunks and a ragged tail
  const float p = 0.3f;
  RngStream rng{42, 1234};
  std::vector<float> xv(n);
  for (int64_t i = 0; i < n; ++i) xv[i] = 0.001f * static_cast<float>(i % 1000) + 1.f;
  Tensor x = on(Tensor::from_vector(xv, {n})), y = empty({n}), mask = empty({n});
  dropout_forward(x, p, rng, y, mask);
  auto yv = y.to_vector(), mv = mask.to_vector();
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool keep = rng.uniform(static_cast<uint64_t>(i)) >= p;
    ASSERT_EQ(mv[i], keep ? 1.f / (1.f - p) : 0.f) << i;
    ASSERT_FLOAT_EQ(yv[i], xv[i] * mv[i]);
    kept += keep;
  }
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.01);

  Tensor dy = on(Tensor::from_vector(xv, {n})), dx1 = empty({n}), dx2 = empty({n});
  dropout_backward(dy, mask, dx1);
  dropout_backward(dy, p, rng, dx2);
  EXPECT_EQ(dx1.to_vector(), yv);
  EXPECT_EQ(dx2.to_vector(), yv);

  // Without a mask, in place: same values.
  Tensor none;
  dropout_forward(x, p, rng, x, none);
  EXPECT_EQ(x.to_vector(), yv);
  // p == 0 is the identity.
  Tensor z = on(Tensor::from_vector(xv, {n})), zo = empty({n});
  dropout_forward(z, 0.f, rng, zo, none);
  EXPECT_EQ(zo.to_vector(), xv);
  EXPECT_THROW(dropout_forward(z, 1.f, rng, zo, none), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(DropoutTest);

}  // namespace moemt::ops
