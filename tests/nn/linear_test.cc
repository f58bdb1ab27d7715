// Linear: forward against a naive product, gradients against finite differences.
#include "nn/linear.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "grad_expect.h"
#include "ops/fill.h"

namespace moemt::nn {
namespace {
using testing::expect_grad;
}

// Layer tests run on every device like the op tests (the CUDA instance skips without a GPU or
// while an op it needs has no kernel).
class LinearTest : public moemt::testing::DeviceTest {};

TEST_P(LinearTest, ForwardMatchesNaiveAndGradientsCheck) {
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "fill");
  ParamStore store;
  Linear lin(store, "proj", {.in = 6, .out = 4, .bias = true});
  Linear nob(store, "nob", {.in = 6, .out = 3, .bias = false});
  store.finalize(dev(), 1);
  EXPECT_EQ(store.find("proj.weight"), 0);
  EXPECT_EQ(store.find("nob.bias"), -1);
  Tensor b = lin.bias.w();
  b.copy_from(on(random_tensor({4}, 3)));  // non-zero bias so the forward check sees it
  Ctx ctx;
  ctx.device = dev();
  ctx.training = true;
  Tensor x = on(random_tensor({2, 3, 6}, 1)), probe = on(random_tensor({2, 3, 4}, 2));

  Tensor y = lin.forward(ctx, x);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  auto xv = x.to_vector(), wv = lin.weight.w().to_vector(), bv = b.to_vector(), yv = y.to_vector();
  for (int r = 0; r < 6; ++r)
    for (int o = 0; o < 4; ++o) {
      double s = bv[o];
      for (int i = 0; i < 6; ++i) s += xv[r * 6 + i] * wv[i * 4 + o];
      EXPECT_NEAR(yv[r * 4 + o], s, 1e-5);
    }

  // Gradients accumulate: start from a non-zero gradient buffer and subtract it afterwards.
  store.zero_grad();
  Tensor gw = lin.weight.g();
  ops::fill(gw, 0.25f);
  Tensor dx = lin.backward(ctx, probe);
  std::vector<float> acc = gw.to_vector();
  for (float& v : acc) v -= 0.25f;
  Tensor gw_only = on(Tensor::from_vector(acc, gw.shape()));

  auto loss = [&] { return dot(lin.forward(ctx, x), probe); };
  expect_grad(loss, x, dx, "dx");
  expect_grad(loss, lin.weight.w(), gw_only, "dW");
  expect_grad(loss, lin.bias.w(), lin.bias.g(), "db");

  // Without bias; apply() equals forward().
  Tensor p3 = on(random_tensor({6, 3}, 4)), x2 = x.reshape({6, 6});
  nob.forward(ctx, x2);
  Tensor dx2 = nob.backward(ctx, p3);
  auto loss2 = [&] { return dot(nob.apply(x2), p3); };
  expect_grad(loss2, x2, dx2, "dx (no bias)");
  expect_grad(loss2, nob.weight.w(), nob.weight.g(), "dW (no bias)");
  EXPECT_THROW(lin.forward(ctx, on(random_tensor({2, 5}, 5))), InternalError);
}

// Per-call saved state: the layer runs twice (as a recurrent step would) before both backwards,
// in reverse order; each dx is its own call's and dW accumulates x1ᵀ·dy1 + x2ᵀ·dy2.
TEST(Linear, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  Linear lin(store, "step", {.in = 5, .out = 3, .bias = true});
  store.finalize(Device::cpu(), 2);
  Ctx ctx;
  ctx.training = true;
  Tensor x1 = random_tensor({4, 5}, 11), x2 = random_tensor({4, 5}, 12);
  Tensor dy1 = random_tensor({4, 3}, 13), dy2 = random_tensor({4, 3}, 14);
  Linear::Saved s1, s2;
  lin.forward(ctx, x1, s1);
  lin.forward(ctx, x2, s2);
  store.zero_grad();
  Tensor dx2 = lin.backward(ctx, dy2, s2);
  Tensor dx1 = lin.backward(ctx, dy1, s1);
  auto w = lin.weight.w().to_vector(), gw = lin.weight.g().to_vector(), gb = lin.bias.g().to_vector();
  auto a1 = x1.to_vector(), a2 = x2.to_vector(), d1 = dy1.to_vector(), d2 = dy2.to_vector();
  auto r1 = dx1.to_vector(), r2 = dx2.to_vector();
  for (int i = 0; i < 5; ++i)
    for (int o = 0; o < 3; ++o) {
      double want = 0;
      for (int r = 0; r < 4; ++r) want += a1[r * 5 + i] * d1[r * 3 + o] + a2[r * 5 + i] * d2[r * 3 + o];
      EXPECT_NEAR(gw[i * 3 + o], want, 1e-5);
    }
  for (int o = 0; o < 3; ++o) {
    double want = 0;
    for (int r = 0; r < 4; ++r) want += d1[r * 3 + o] + d2[r * 3 + o];
    EXPECT_NEAR(gb[o], want, 1e-5);
  }
  for (int r = 0; r < 4; ++r)
    for (int i = 0; i < 5; ++i) {
      double w1 = 0, w2 = 0;
      for (int o = 0; o < 3; ++o) {
        w1 += d1[r * 3 + o] * w[i * 3 + o];
        w2 += d2[r * 3 + o] * w[i * 3 + o];
      }
      EXPECT_NEAR(r1[r * 5 + i], w1, 1e-5);
      EXPECT_NEAR(r2[r * 5 + i], w2, 1e-5);
    }
}

MOEMT_INSTANTIATE_ON_DEVICES(LinearTest);

}  // namespace moemt::nn
