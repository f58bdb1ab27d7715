// Pre-norm encoder layer: finite-difference gradients of the input and every parameter (with
// and without dropout), padding invariance and reproducible dropout on every device; per-call
// saved state (several forwards before their backwards).
#include "nn/encoder_layer.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "layer_fixture.h"
#include "nn/gradcheck.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 2, kS = 4;
using namespace testing;  // layer_fixture.h: kD, kTol, layer_config, dense_ffn, lengths

class EncoderLayerTest : public moemt::testing::DeviceTest {};

void check_gradients(Device dev, float dropout) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(dropout), dense_ffn(store, "enc.0.ffn", dropout));
  store.finalize(dev, 9);
  Tensor x = random_tensor({kB, kS, kD}, 1).to(dev), probe = random_tensor({kB, kS, kD}, 2).to(dev);
  Tensor lens = lengths({4, 2}).to(dev);
  Ctx ctx;
  ctx.device = dev;
  ctx.training = true;
  ctx.seed = 21;
  auto loss = [&] {
    ctx.begin_step(3);  // the same dropout masks at every evaluation
    return dot(layer.forward(ctx, x, lens), probe);
  };
  loss();
  store.zero_grad();
  Tensor dx = layer.backward(ctx, probe);
  auto r = grad_check(loss, x, dx, 40);
  EXPECT_LT(r.max_abs_err, kTol) << "x: " << r.worst;
  ASSERT_EQ(store.size(), 4 + 8 + 4);  // two LayerNorms, attention, two FFN linears
  for (int i = 0; i < store.size(); ++i) {
    r = grad_check(loss, store.value(i), store.grad(i), 24);
    EXPECT_LT(r.max_abs_err, kTol) << store.info(i).name << ": " << r.worst;
  }
}

TEST_P(EncoderLayerTest, Gradients) {
  MOEMT_LAYER_KERNELS;
  check_gradients(dev(), 0.f);
}
TEST_P(EncoderLayerTest, GradientsWithDropout) {
  MOEMT_LAYER_KERNELS;
  check_gradients(dev(), 0.25f);
}

TEST_P(EncoderLayerTest, PaddedPositionsDoNotChangeValidOutputs) {
  MOEMT_LAYER_KERNELS;
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.f), dense_ffn(store, "enc.0.ffn", 0.f));
  store.finalize(dev(), 9);
  Ctx ctx;
  ctx.device = dev();
  Tensor lens = on(lengths({4, 2}));
  Tensor x = random_tensor({kB, kS, kD}, 1);
  auto a = layer.forward(ctx, on(x), lens).to_vector();
  Tensor x2 = x.clone();
  float* p = x2.data<float>();
  for (int64_t t = 2; t < kS; ++t)
    for (int64_t e = 0; e < kD; ++e) p[(kS + t) * kD + e] = 5.f * e - 3.f;  // item 1 padding
  auto b = layer.forward(ctx, on(x2), lens).to_vector();
  for (int64_t i = 0; i < kB * kS * kD; ++i) {
    int64_t item = i / (kS * kD), t = (i / kD) % kS;
    if (item == 0 || t < 2) {
      ASSERT_NEAR(a[i], b[i], 1e-5) << i;
    }
  }
}

TEST_P(EncoderLayerTest, DropoutReproducibleForSameSeedAndStep) {
  MOEMT_LAYER_KERNELS;
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.3f), dense_ffn(store, "enc.0.ffn", 0.3f));
  store.finalize(dev(), 9);
  Tensor x = on(random_tensor({kB, kS, kD}, 1));
  auto run = [&](bool training, uint64_t seed, uint64_t step) {
    Ctx ctx;
    ctx.device = dev();
    ctx.training = training;
    ctx.seed = seed;
    ctx.begin_step(step);
    return layer.forward(ctx, x, Tensor()).to_vector();
  };
  EXPECT_EQ(run(true, 1, 5), run(true, 1, 5));
  EXPECT_NE(run(true, 1, 5), run(true, 1, 6));
  EXPECT_NE(run(true, 1, 5), run(true, 2, 5));
  EXPECT_EQ(run(false, 1, 5), run(false, 2, 6));  // eval: no dropout
  EXPECT_NE(run(false, 1, 5), run(true, 1, 5));
}

// Per-call saved state with dropout: two forwards (different masks and inputs), then both
// backwards in reverse order, give each call's dx and the sum of single-use parameter gradients.
TEST(EncoderLayer, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.2f), dense_ffn(store, "enc.0.ffn", 0.2f));
  store.finalize(Device::cpu(), 9);
  Ctx ctx;
  ctx.training = true;
  Tensor x1 = random_tensor({kB, kS, kD}, 1), x2 = random_tensor({kB, kS, kD}, 2);
  Tensor d1 = random_tensor({kB, kS, kD}, 3), d2 = random_tensor({kB, kS, kD}, 4);
  Tensor lens = lengths({4, 2});
  uint64_t rng_per_call = 0;
  auto single = [&](const Tensor& x, const Tensor& d, uint64_t call) {
    store.zero_grad();
    ctx.begin_step(1);
    for (uint64_t c = 0; c < call * rng_per_call; ++c) ctx.next_rng();
    layer.forward(ctx, x, lens);
    Tensor dx = layer.backward(ctx, d);
    return std::make_pair(dx.to_vector(), store.grads().to_vector());
  };
  // The random streams one forward draws: Ctx numbers them by call order within the step.
  ctx.begin_step(1);
  layer.forward(ctx, x1, lens);
  rng_per_call = ctx.next_rng().stream - ((uint64_t{1} << 24) + 1);
  ASSERT_GT(rng_per_call, 0u);
  auto [r1, g1] = single(x1, d1, 0);
  auto [r2, g2] = single(x2, d2, 1);
  store.zero_grad();
  ctx.begin_step(1);
  EncoderLayer::Saved s1, s2;
  layer.forward(ctx, x1, lens, s1);
  layer.forward(ctx, x2, lens, s2);
  auto dx2 = layer.backward(ctx, d2, s2).to_vector();
  auto dx1 = layer.backward(ctx, d1, s1).to_vector();
  for (size_t i = 0; i < dx1.size(); ++i) {
    ASSERT_NEAR(dx2[i], r2[i], 1e-6) << i;
    ASSERT_NEAR(dx1[i], r1[i], 1e-6) << i;
  }
  auto g = store.grads().to_vector();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], g1[i] + g2[i], 1e-5) << i;
}

// A block with single-use state only (as the MoE layer today) refuses a backward whose forward
// was not its latest, instead of differentiating the wrong call.
class SingleUseFfn : public FfnBlock {
 public:
  Tensor forward(Ctx&, const Tensor& x) override { return x.clone(); }
  Tensor backward(Ctx&, const Tensor& dy) override { return dy.clone(); }
};

TEST(EncoderLayer, SingleUseFfnBlockRefusesInterleavedBackwards) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.f), std::make_unique<SingleUseFfn>());
  store.finalize(Device::cpu(), 9);
  Ctx ctx;
  ctx.training = true;
  Tensor x = random_tensor({kB, kS, kD}, 1), d = random_tensor({kB, kS, kD}, 3);
  EncoderLayer::Saved s1, s2;
  layer.forward(ctx, x, Tensor(), s1);
  layer.forward(ctx, x, Tensor(), s2);
  EXPECT_THROW(layer.backward(ctx, d, s1), InternalError);
  EXPECT_NO_THROW(layer.backward(ctx, d, s2));
}

MOEMT_INSTANTIATE_ON_DEVICES(EncoderLayerTest);

}  // namespace
}  // namespace moemt::nn
