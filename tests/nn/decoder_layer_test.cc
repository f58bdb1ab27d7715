// Pre-norm decoder layer: finite-difference gradients of the target input, the encoder output
// and every parameter; causality and source padding invariance; the cached decoding step
// against the full forward, across a beam reorder.
#include "nn/decoder_layer.h"

#include <gtest/gtest.h>

#include "layer_fixture.h"
#include "nn/gradcheck.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 2, kT = 4, kS = 5;
using namespace testing;  // layer_fixture.h: kD, kTol, layer_config, dense_ffn, lengths

void check_gradients(float dropout) {
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(dropout), dense_ffn(store, "dec.0.ffn", dropout));
  store.finalize(Device::cpu(), 9);
  Tensor y = random_tensor({kB, kT, kD}, 1), enc = random_tensor({kB, kS, kD}, 2);
  Tensor probe = random_tensor({kB, kT, kD}, 3);
  Tensor lens = lengths({5, 3});
  Ctx ctx;
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

TEST(DecoderLayer, Gradients) { check_gradients(0.f); }
TEST(DecoderLayer, GradientsWithDropout) { check_gradients(0.25f); }

TEST(DecoderLayer, CausalAndSourcePaddingInvariance) {
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(0.f), dense_ffn(store, "dec.0.ffn", 0.f));
  store.finalize(Device::cpu(), 9);
  Ctx ctx;
  Tensor lens = lengths({5, 3});
  Tensor y = random_tensor({kB, kT, kD}, 1), enc = random_tensor({kB, kS, kD}, 2);
  auto a = layer.forward(ctx, y, enc, lens).to_vector();
  // Change the last target position and item 1's padded source positions (not by a constant,
  // which LayerNorm would remove).
  Tensor y2 = y.clone(), enc2 = enc.clone();
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t e = 0; e < kD; ++e) y2.data<float>()[(b * kT + kT - 1) * kD + e] += 0.5f * e - 1.f;
  for (int64_t t = 3; t < kS; ++t)
    for (int64_t e = 0; e < kD; ++e) enc2.data<float>()[(kS + t) * kD + e] -= 0.7f * e;
  auto c = layer.forward(ctx, y2, enc2, lens).to_vector();
  for (int64_t i = 0; i < kB * kT * kD; ++i) {
    int64_t t = (i / kD) % kT;
    if (t < kT - 1) {
      ASSERT_NEAR(a[i], c[i], 1e-5) << i;
    }
  }
  EXPECT_GT(std::abs(a[(kT - 1) * kD] - c[(kT - 1) * kD]), 1e-3);  // the changed row itself
}

TEST(DecoderLayer, StepsEqualFullForwardAcrossReorder) {
  ParamStore store;
  DecoderLayer layer(store, "dec.0", layer_config(0.1f), dense_ffn(store, "dec.0.ffn", 0.1f));
  store.finalize(Device::cpu(), 9);
  Ctx ctx;  // eval mode: dropout off in both paths
  Tensor y = random_tensor({kB, kT, kD}, 1), enc = random_tensor({kB, kS, kD}, 2);
  Tensor lens = lengths({5, 3});
  // Hypotheses after step 2: rows (1, 1, 0) of the batch, i.e. beam expansion and a swap.
  const std::vector<int32_t> idx{1, 1, 0};
  const int64_t nb = 3;
  Tensor yr = Tensor::empty({nb, kT, kD}), encr = Tensor::empty({nb, kS, kD});
  for (int64_t r = 0; r < nb; ++r) {
    yr.narrow(r, 1).copy_from(y.narrow(idx[r], 1));
    encr.narrow(r, 1).copy_from(enc.narrow(idx[r], 1));
  }
  Tensor full = layer.forward(ctx, yr, encr, lengths({3, 3, 5})).clone();
  DecoderLayerState state;
  layer.init_state(ctx, enc, lens, state);
  auto position = [](const Tensor& seq, int64_t b, int64_t t, int64_t len) {
    return seq.narrow(b, 1).reshape({len, kD}).narrow(t, 1);
  };
  for (int64_t t = 0; t < kT; ++t) {
    if (t == 2) state.reorder(idx);
    const Tensor& src = t < 2 ? y : yr;
    const int64_t rows = t < 2 ? kB : nb;
    Tensor yt = Tensor::empty({rows, 1, kD});
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

}  // namespace
}  // namespace moemt::nn
