// Pre-norm decoder layer: finite-difference gradients of the target input, the encoder output
// and every parameter; causality and source padding invariance; the cached decoding step
// against the full forward, across a beam reorder; on every device. Per-call saved state.
#include "nn/decoder_layer.h"

#include <gtest/gtest.h>

#include "device_test.h"
#include "layer_fixture.h"
#include "nn/gradcheck.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 2, kT = 4, kS = 5;
using namespace testing;  // layer_fixture.h: kD, kTol, layer_config, dense_ffn, lengths

class DecoderLayerTest : public moemt::testing::DeviceTest {};

void check_gradients(Device dev, float dropout) {
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(dropout), dense_ffn(store, "dec.0.ffn", dropout));
  store.finalize(dev, 9);
  Tensor y = random_tensor({kB, kT, kD}, 1).to(dev), enc = random_tensor({kB, kS, kD}, 2).to(dev);
  Tensor probe = random_tensor({kB, kT, kD}, 3).to(dev);
  Tensor lens = lengths({5, 3}).to(dev);
  Ctx ctx;
  ctx.device = dev;
  ctx.training = true;
  ctx.seed = 21;
  auto loss = [&] {
    ctx.begin_step(3);
    return dot(layer.forward(ctx, y, enc, lens), probe);
  };
  loss();
  store.zero_grad();
  auto g = layer.backward(ctx, probe);
  auto r = grad_check(loss, y, g.dy_in, 40);
  EXPECT_LT(r.max_abs_err, kTol) << "y: " << r.worst;
  r = grad_check(loss, enc, g.d_enc, 40);
  EXPECT_LT(r.max_abs_err, kTol) << "enc: " << r.worst;
  ASSERT_EQ(store.size(), 6 + 8 + 8 + 4);  // three LayerNorms, two attentions, two FFN linears
  for (int i = 0; i < store.size(); ++i) {
    r = grad_check(loss, store.value(i), store.grad(i), 24);
    EXPECT_LT(r.max_abs_err, kTol) << store.info(i).name << ": " << r.worst;
  }
  // Padded source positions of item 1 (3 and 4) get no gradient.
  auto de = g.d_enc.to_vector();
  for (int64_t t = 3; t < kS; ++t)
    for (int64_t e = 0; e < kD; ++e) EXPECT_EQ(de[(kS + t) * kD + e], 0.f);
}

TEST_P(DecoderLayerTest, Gradients) {
  MOEMT_LAYER_KERNELS;
  check_gradients(dev(), 0.f);
}
TEST_P(DecoderLayerTest, GradientsWithDropout) {
  MOEMT_LAYER_KERNELS;
  check_gradients(dev(), 0.25f);
}

TEST_P(DecoderLayerTest, CausalAndSourcePaddingInvariance) {
  MOEMT_LAYER_KERNELS;
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(0.f), dense_ffn(store, "dec.0.ffn", 0.f));
  store.finalize(dev(), 9);
  Ctx ctx;
  ctx.device = dev();
  Tensor lens = on(lengths({5, 3}));
  Tensor y = random_tensor({kB, kT, kD}, 1), enc = random_tensor({kB, kS, kD}, 2);
  auto a = layer.forward(ctx, on(y), on(enc), lens).to_vector();
  // Change the last target position and item 1's padded source positions (not by a constant,
  // which LayerNorm would remove).
  Tensor y2 = y.clone(), enc2 = enc.clone();
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t e = 0; e < kD; ++e) y2.data<float>()[(b * kT + kT - 1) * kD + e] += 0.5f * e - 1.f;
  for (int64_t t = 3; t < kS; ++t)
    for (int64_t e = 0; e < kD; ++e) enc2.data<float>()[(kS + t) * kD + e] -= 0.7f * e;
  auto c = layer.forward(ctx, on(y2), on(enc2), lens).to_vector();
  for (int64_t i = 0; i < kB * kT * kD; ++i) {
    int64_t t = (i / kD) % kT;
    if (t < kT - 1) {
      ASSERT_NEAR(a[i], c[i], 1e-5) << i;
    }
  }
  EXPECT_GT(std::abs(a[(kT - 1) * kD] - c[(kT - 1) * kD]), 1e-3);  // the changed row itself
}

TEST_P(DecoderLayerTest, StepsEqualFullForwardAcrossReorder) {
  MOEMT_LAYER_KERNELS;
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(0.1f), dense_ffn(store, "dec.0.ffn", 0.1f));
  store.finalize(dev(), 9);
  Ctx ctx;  // eval mode: dropout off in both paths
  ctx.device = dev();
  Tensor y = on(random_tensor({kB, kT, kD}, 1)), enc = on(random_tensor({kB, kS, kD}, 2));
  Tensor lens = on(lengths({5, 3}));
  // Hypotheses after step 2: rows (1, 1, 0) of the batch, i.e. beam expansion and a swap.
  const std::vector<int32_t> idx{1, 1, 0};
  const int64_t nb = 3;
  Tensor yr = empty({nb, kT, kD}), encr = empty({nb, kS, kD});
  for (int64_t r = 0; r < nb; ++r) {
    yr.narrow(r, 1).copy_from(y.narrow(idx[r], 1));
    encr.narrow(r, 1).copy_from(enc.narrow(idx[r], 1));
  }
  Tensor full = layer.forward(ctx, yr, encr, on(lengths({3, 3, 5}))).clone();
  DecoderLayerState state;
  layer.init_state(ctx, enc, lens, state);
  auto position = [](const Tensor& seq, int64_t b, int64_t t, int64_t len) {
    return seq.narrow(b, 1).reshape({len, kD}).narrow(t, 1);
  };
  for (int64_t t = 0; t < kT; ++t) {
    if (t == 2) state.reorder(idx);
    const Tensor& src = t < 2 ? y : yr;
    const int64_t rows = t < 2 ? kB : nb;
    Tensor yt = empty({rows, 1, kD});
    for (int64_t r = 0; r < rows; ++r) yt.narrow(r, 1).copy_from(position(src, r, t, kT));
    Tensor out = layer.step(ctx, yt, state);
    ASSERT_EQ(state.self.length(), t + 1);
    if (t < 2) continue;  // rows before the reorder are checked through the later steps
    for (int64_t r = 0; r < nb; ++r) {
      auto got = out.narrow(r, 1).to_vector(), want = position(full, r, t, kT).to_vector();
      for (int64_t e = 0; e < kD; ++e)
        ASSERT_NEAR(got[e], want[e], 1e-5) << "t " << t << " row " << r;
    }
  }
}

// Per-call saved state: two forwards with dropout, then both backwards in reverse order, give
// each call's input gradients and the sum of single-use parameter gradients.
TEST(DecoderLayer, RunsSeveralTimesBeforeItsBackwards) {
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(0.2f), dense_ffn(store, "dec.0.ffn", 0.2f));
  store.finalize(Device::cpu(), 9);
  Ctx ctx;
  ctx.training = true;
  Tensor y1 = random_tensor({kB, kT, kD}, 1), y2 = random_tensor({kB, kT, kD}, 2);
  Tensor enc = random_tensor({kB, kS, kD}, 5), lens = lengths({5, 3});
  Tensor d1 = random_tensor({kB, kT, kD}, 3), d2 = random_tensor({kB, kT, kD}, 4);
  // The random streams one forward draws: Ctx numbers them by call order within the step.
  ctx.begin_step(1);
  layer.forward(ctx, y1, enc, lens);
  const uint64_t per_call = ctx.next_rng().stream - ((uint64_t{1} << 24) + 1);
  ASSERT_GT(per_call, 0u);
  auto single = [&](const Tensor& y, const Tensor& d, uint64_t call) {
    store.zero_grad();
    ctx.begin_step(1);
    for (uint64_t c = 0; c < call * per_call; ++c) ctx.next_rng();
    layer.forward(ctx, y, enc, lens);
    auto g = layer.backward(ctx, d);
    return std::make_tuple(g.dy_in.to_vector(), g.d_enc.to_vector(), store.grads().to_vector());
  };
  auto [r1, e1, g1] = single(y1, d1, 0);
  auto [r2, e2, g2] = single(y2, d2, 1);
  store.zero_grad();
  ctx.begin_step(1);
  DecoderLayer::Saved s1, s2;
  layer.forward(ctx, y1, enc, lens, s1);
  layer.forward(ctx, y2, enc, lens, s2);
  auto b2 = layer.backward(ctx, d2, s2);
  auto b1 = layer.backward(ctx, d1, s1);
  auto expect_near = [](const std::vector<float>& a, const std::vector<float>& b, const char* w) {
    ASSERT_EQ(a.size(), b.size()) << w;
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << w << " " << i;
  };
  expect_near(b2.dy_in.to_vector(), r2, "dy 2");
  expect_near(b1.dy_in.to_vector(), r1, "dy 1");
  expect_near(b2.d_enc.to_vector(), e2, "d_enc 2");
  expect_near(b1.d_enc.to_vector(), e1, "d_enc 1");
  auto g = store.grads().to_vector();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], g1[i] + g2[i], 1e-5) << i;
}

MOEMT_INSTANTIATE_ON_DEVICES(DecoderLayerTest);

}  // namespace
}  // namespace moemt::nn
