// Pre-norm encoder layer: finite-difference gradients of the input and every parameter (with
// and without dropout), padding invariance, and reproducible dropout.
#include "nn/encoder_layer.h"

#include <gtest/gtest.h>

#include "layer_fixture.h"
#include "nn/gradcheck.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 2, kS = 4;
using namespace testing;  // layer_fixture.h: kD, kTol, layer_config, dense_ffn, lengths

void check_gradients(float dropout) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(dropout), dense_ffn(store, "enc.0.ffn", dropout));
  store.finalize(Device::cpu(), 9);
  Tensor x = random_tensor({kB, kS, kD}, 1), probe = random_tensor({kB, kS, kD}, 2);
  Tensor lens = lengths({4, 2});
  Ctx ctx;
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

TEST(EncoderLayer, Gradients) { check_gradients(0.f); }
TEST(EncoderLayer, GradientsWithDropout) { check_gradients(0.25f); }

TEST(EncoderLayer, PaddedPositionsDoNotChangeValidOutputs) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.f), dense_ffn(store, "enc.0.ffn", 0.f));
  store.finalize(Device::cpu(), 9);
  Ctx ctx;
  Tensor lens = lengths({4, 2});
  Tensor x = random_tensor({kB, kS, kD}, 1);
  auto a = layer.forward(ctx, x, lens).to_vector();
  Tensor x2 = x.clone();
  float* p = x2.data<float>();
  for (int64_t t = 2; t < kS; ++t)
    for (int64_t e = 0; e < kD; ++e) p[(kS + t) * kD + e] = 5.f * e - 3.f;  // item 1 padding
  auto b = layer.forward(ctx, x2, lens).to_vector();
  for (int64_t i = 0; i < kB * kS * kD; ++i) {
    int64_t item = i / (kS * kD), t = (i / kD) % kS;
    if (item == 0 || t < 2) {
      ASSERT_NEAR(a[i], b[i], 1e-5) << i;
    }
  }
}

TEST(EncoderLayer, DropoutReproducibleForSameSeedAndStep) {
  ParamStore store;
  EncoderLayer layer(store, "enc.0", layer_config(0.3f), dense_ffn(store, "enc.0.ffn", 0.3f));
  store.finalize(Device::cpu(), 9);
  Tensor x = random_tensor({kB, kS, kD}, 1);
  auto run = [&](bool training, uint64_t seed, uint64_t step) {
    Ctx ctx;
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

}  // namespace
}  // namespace moemt::nn
