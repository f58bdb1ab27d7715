// FeedForward: gradients of input and all parameters by finite differences, with GELU and
// dropout (mask reproduced by restarting the step) and with ReLU.
#include "nn/feed_forward.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "grad_expect.h"

namespace moemt::nn {

class FeedForwardTest : public moemt::testing::DeviceTest {};

TEST_P(FeedForwardTest, GradientsWithGeluAndDropout) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "activation", "dropout");
  ParamStore store;
  FeedForward ffn(
      store, "ffn",
      {.d_model = 6, .ffn_dim = 10, .activation = ops::Activation::gelu, .dropout = 0.3f});
  store.finalize(dev(), 2);
  for (const char* n : {"ffn.fc1.weight", "ffn.fc1.bias", "ffn.fc2.weight", "ffn.fc2.bias"})
    EXPECT_GE(store.find(n), 0) << n;
  Tensor b1 = ffn.fc1.bias.w(), b2 = ffn.fc2.bias.w();
  b1.copy_from(on(random_tensor({10}, 7, 0.3f)));
  b2.copy_from(on(random_tensor({6}, 8, 0.3f)));
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({5, 6}, 1)), probe = on(random_tensor({5, 6}, 2));
  ctx.begin_step(1);
  ffn.forward(ctx, x);
  Tensor dx = ffn.backward(ctx, probe);
  auto loss = [&] {
    ctx.begin_step(1);  // the same dropout masks on every evaluation
    return dot(ffn.forward(ctx, x), probe);
  };
  testing::expect_grad(loss, x, dx, "dx");
  testing::expect_grad(loss, ffn.fc1.weight.w(), ffn.fc1.weight.g(), "dW1");
  testing::expect_grad(loss, ffn.fc1.bias.w(), ffn.fc1.bias.g(), "db1");
  testing::expect_grad(loss, ffn.fc2.weight.w(), ffn.fc2.weight.g(), "dW2");
  testing::expect_grad(loss, ffn.fc2.bias.w(), ffn.fc2.bias.g(), "db2");
  // Dropout really acts in training and not in eval mode.
  ctx.begin_step(1);
  auto train_out = ffn.forward(ctx, x).to_vector();
  ctx.training = false;
  EXPECT_NE(ffn.forward(ctx, x).to_vector(), train_out);
}

TEST_P(FeedForwardTest, GradientsWithRelu) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "activation", "dropout");
  ParamStore store;
  FeedForward ffn(store, "ffn", {.d_model = 4, .ffn_dim = 8});
  store.finalize(dev(), 3);
  Ctx ctx;
  ctx.device = dev();
  Tensor x = on(random_tensor({6, 4}, 3)), probe = on(random_tensor({6, 4}, 4));
  ffn.forward(ctx, x);
  Tensor dx = ffn.backward(ctx, probe);
  auto loss = [&] { return dot(ffn.forward(ctx, x), probe); };
  // A small step keeps the differences away from ReLU's kink.
  testing::expect_grad(loss, x, dx, "dx", 2e-2, 24, 2e-3f);
  testing::expect_grad(loss, ffn.fc1.weight.w(), ffn.fc1.weight.g(), "dW1", 2e-2, 24, 2e-3f);
  testing::expect_grad(loss, ffn.fc2.weight.w(), ffn.fc2.weight.g(), "dW2", 2e-2, 24, 2e-3f);
}

// Per-call saved state with dropout: two forwards (different masks), then both backwards in
// reverse order, give each call's dx and the sum of the parameter gradients of single-use runs.
TEST(FeedForward, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  FeedForward ffn(store, "ffn",
                  {.d_model = 6, .ffn_dim = 10, .activation = ops::Activation::gelu, .dropout = 0.3f});
  store.finalize(Device::cpu(), 4);
  Ctx ctx;
  ctx.training = true;
  Tensor x1 = random_tensor({5, 6}, 11), x2 = random_tensor({5, 6}, 12);
  Tensor d1 = random_tensor({5, 6}, 13), d2 = random_tensor({5, 6}, 14);
  auto single = [&](const Tensor& x, const Tensor& d, uint64_t call) {
    store.zero_grad();
    ctx.begin_step(1);
    for (uint64_t c = 0; c < call; ++c) ctx.next_rng();  // the same dropout stream as below
    ffn.forward(ctx, x);
    Tensor dx = ffn.backward(ctx, d);
    return std::make_pair(dx.to_vector(), store.grads().to_vector());
  };
  auto [r1, g1] = single(x1, d1, 0);
  auto [r2, g2] = single(x2, d2, 1);
  store.zero_grad();
  ctx.begin_step(1);
  FeedForward::Saved s1, s2;
  ffn.forward(ctx, x1, s1);
  ffn.forward(ctx, x2, s2);
  EXPECT_EQ(ffn.backward(ctx, d2, s2).to_vector(), r2);
  EXPECT_EQ(ffn.backward(ctx, d1, s1).to_vector(), r1);
  auto g = store.grads().to_vector();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], g1[i] + g2[i], 1e-5) << i;
}

MOEMT_INSTANTIATE_ON_DEVICES(FeedForwardTest);

}  // namespace moemt::nn
