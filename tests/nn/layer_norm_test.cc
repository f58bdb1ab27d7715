// LayerNorm layer: parameter names and init, gradients against finite differences.
#include "nn/layer_norm.h"

#include <gtest/gtest.h>

#include "grad_expect.h"

namespace moemt::nn {

TEST(LayerNormLayer, InitAndGradientsCheck) {
  ParamStore store;
  LayerNorm ln(store, "ln", {.dim = 8});
  store.finalize(Device::cpu(), 1);
  EXPECT_EQ(ln.gamma.w().to_vector(), std::vector<float>(8, 1.f));
  EXPECT_EQ(ln.beta.w().to_vector(), std::vector<float>(8, 0.f));
  Tensor g = ln.gamma.w(), b = ln.beta.w();
  g.copy_from(random_tensor({8}, 3, 0.5f));
  b.copy_from(random_tensor({8}, 4));
  Ctx ctx;
  ctx.training = true;
  Tensor x = random_tensor({3, 2, 8}, 1, 2.f), probe = random_tensor({3, 2, 8}, 2);
  Tensor y = ln.forward(ctx, x);
  EXPECT_EQ(y.to_vector(), ln.apply(x).to_vector());
  Tensor dx = ln.backward(ctx, probe);
  auto loss = [&] { return dot(ln.apply(x), probe); };
  testing::expect_grad(loss, x, dx, "dx");
  testing::expect_grad(loss, ln.gamma.w(), ln.gamma.g(), "dgamma");
  testing::expect_grad(loss, ln.beta.w(), ln.beta.g(), "dbeta");
}

}  // namespace moemt::nn
