// LayerNorm layer: parameter names and init, gradients against finite differences.
#include "nn/layer_norm.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "grad_expect.h"

namespace moemt::nn {

class LayerNormLayerTest : public moemt::testing::DeviceTest {};

TEST_P(LayerNormLayerTest, InitAndGradientsCheck) {
  MOEMT_NEEDS_KERNELS("layer_norm");
  ParamStore store;
  LayerNorm ln(store, "ln", {.dim = 8});
  store.finalize(dev(), 1);
  EXPECT_EQ(ln.gamma.w().to_vector(), std::vector<float>(8, 1.f));
  EXPECT_EQ(ln.beta.w().to_vector(), std::vector<float>(8, 0.f));
  Tensor g = ln.gamma.w(), b = ln.beta.w();
  g.copy_from(on(random_tensor({8}, 3, 0.5f)));
  b.copy_from(on(random_tensor({8}, 4)));
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({3, 2, 8}, 1, 2.f)), probe = on(random_tensor({3, 2, 8}, 2));
  Tensor y = ln.forward(ctx, x);
  EXPECT_EQ(y.to_vector(), ln.apply(x).to_vector());
  Tensor dx = ln.backward(ctx, probe);
  auto loss = [&] { return dot(ln.apply(x), probe); };
  testing::expect_grad(loss, x, dx, "dx");
  testing::expect_grad(loss, ln.gamma.w(), ln.gamma.g(), "dgamma");
  testing::expect_grad(loss, ln.beta.w(), ln.beta.g(), "dbeta");
}

// Per-call saved state: two forwards, then both backwards in reverse order, give each call's
// dx and the sum of both calls' dgamma/dbeta (as two single-use runs on fresh gradients do).
TEST(LayerNormLayer, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  LayerNorm ln(store, "ln", {.dim = 8});
  store.finalize(Device::cpu(), 1);
  Tensor g = ln.gamma.w();
  g.copy_from(random_tensor({8}, 3, 0.5f));
  Ctx ctx;
  ctx.training = true;
  Tensor x1 = random_tensor({3, 8}, 5), x2 = random_tensor({3, 8}, 6);
  Tensor d1 = random_tensor({3, 8}, 7), d2 = random_tensor({3, 8}, 8);
  // Reference: one call at a time, gradients read after each.
  store.zero_grad();
  ln.forward(ctx, x1);
  Tensor r1 = ln.backward(ctx, d1);
  auto gg1 = ln.gamma.g().to_vector(), gb1 = ln.beta.g().to_vector();
  store.zero_grad();
  ln.forward(ctx, x2);
  Tensor r2 = ln.backward(ctx, d2);
  auto gg2 = ln.gamma.g().to_vector(), gb2 = ln.beta.g().to_vector();
  // Interleaved with per-call state.
  store.zero_grad();
  LayerNorm::Saved s1, s2;
  ln.forward(ctx, x1, s1);
  ln.forward(ctx, x2, s2);
  Tensor dx2 = ln.backward(ctx, d2, s2);
  Tensor dx1 = ln.backward(ctx, d1, s1);
  EXPECT_EQ(dx1.to_vector(), r1.to_vector());
  EXPECT_EQ(dx2.to_vector(), r2.to_vector());
  auto gg = ln.gamma.g().to_vector(), gb = ln.beta.g().to_vector();
  for (int j = 0; j < 8; ++j) {
    EXPECT_NEAR(gg[j], gg1[j] + gg2[j], 1e-5);
    EXPECT_NEAR(gb[j], gb1[j] + gb2[j], 1e-5);
  }
}

MOEMT_INSTANTIATE_ON_DEVICES(LayerNormLayerTest);

}  // namespace moemt::nn
