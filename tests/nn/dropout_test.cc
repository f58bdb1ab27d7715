// Dropout layer: identity in eval mode, reproducible per step, backward uses the same mask.
#include "nn/dropout.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "nn/gradcheck.h"

namespace moemt::nn {

class DropoutLayerTest : public moemt::testing::DeviceTest {};

TEST_P(DropoutLayerTest, EvalIdentityTrainingMaskAndBackward) {
  MOEMT_NEEDS_KERNELS("dropout");
  Dropout drop(0.5f);
  Ctx ctx;
  ctx.device = dev();
  Tensor x = on(random_tensor({4, 100}, 1));
  Tensor y = drop.forward(ctx, x);
  EXPECT_EQ(y.raw(), x.raw());  // eval: the input itself
  ctx.training = true;
  ctx.begin_step(3);
  Tensor y1 = drop.forward(ctx, x);
  Tensor dx = drop.backward(ctx, x);  // dy = x: dx equals y1 (same mask, same scale)
  EXPECT_EQ(dx.to_vector(), y1.to_vector());
  auto v = y1.to_vector(), xv = x.to_vector();
  int zeros = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == 0.f)
      ++zeros;
    else
      EXPECT_FLOAT_EQ(v[i], 2.f * xv[i]);
  }
  EXPECT_GT(zeros, 150);
  EXPECT_LT(zeros, 250);
  ctx.begin_step(3);  // same step and call order: same mask
  EXPECT_EQ(drop.forward(ctx, x).to_vector(), y1.to_vector());
  ctx.begin_step(4);
  EXPECT_NE(drop.forward(ctx, x).to_vector(), y1.to_vector());
  Tensor z = x.clone();
  ctx.begin_step(3);
  drop.forward_inplace(ctx, z);
  EXPECT_EQ(z.to_vector(), y1.to_vector());
  EXPECT_THROW(Dropout(1.f), Error);
}

MOEMT_INSTANTIATE_ON_DEVICES(DropoutLayerTest);

}  // namespace moemt::nn
