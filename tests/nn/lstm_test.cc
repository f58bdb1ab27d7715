// LSTM and bidirectional LSTM: finite-difference gradient checks with padded sentences, zero
// outputs and gradients past each length, a sentence's output independent of the padding
// beside it, and the decoding step equal to the full forward.
#include "nn/lstm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "grad_expect.h"
#include "nn/gradcheck.h"

namespace moemt::nn {
namespace {

constexpr int64_t kB = 3, kT = 5, kIn = 6, kH = 4;

Tensor lens(std::vector<int32_t> v) {
  auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

TEST(Lstm, GradientsMatchFiniteDifferencesWithPadding) {
  ParamStore ps;
  Lstm lstm(ps, "l", {kIn, kH});
  ps.finalize(Device::cpu(), 3);
  Ctx ctx;
  Tensor x = random_tensor({kB, kT, kIn}, 1);
  Tensor lengths = lens({5, 2, 4});
  Tensor probe = random_tensor({kB, kT, kH}, 2);
  auto loss = [&] { return dot(lstm.forward(ctx, x, lengths).y, probe); };
  ps.zero_grad();
  LstmOutput out = lstm.forward(ctx, x, lengths);
  // Padded positions output 0.
  auto yv = out.y.to_vector();
  for (int64_t t = 2; t < kT; ++t)
    for (int64_t j = 0; j < kH; ++j) EXPECT_EQ(yv[(1 * kT + t) * kH + j], 0.f);
  Tensor dx = lstm.backward(ctx, probe, out.saved);
  testing::expect_grad(loss, x, dx, "dx", 2e-2, 40);
  testing::expect_grad(loss, lstm.w.w(), lstm.w.g(), "dW");
  testing::expect_grad(loss, lstm.u.w(), lstm.u.g(), "dU");
  testing::expect_grad(loss, lstm.b.w(), lstm.b.g(), "db");
  // Padded inputs get zero gradient.
  auto dxv = dx.to_vector();
  for (int64_t t = 2; t < kT; ++t)
    for (int64_t j = 0; j < kIn; ++j) EXPECT_EQ(dxv[(1 * kT + t) * kIn + j], 0.f);
}

// Two forwards before their backwards (the per-call saved state): gradients add up.
TEST(Lstm, SavedStatePerCall) {
  ParamStore ps;
  Lstm lstm(ps, "l", {kIn, kH});
  ps.finalize(Device::cpu(), 3);
  Ctx ctx;
  Tensor x1 = random_tensor({kB, kT, kIn}, 1), x2 = random_tensor({2, 3, kIn}, 4);
  Tensor p1 = random_tensor({kB, kT, kH}, 2), p2 = random_tensor({2, 3, kH}, 5);
  ps.zero_grad();
  LstmOutput a = lstm.forward(ctx, x1, Tensor());
  lstm.backward(ctx, p1, a.saved);
  std::vector<float> g1 = lstm.u.g().to_vector();
  ps.zero_grad();
  LstmOutput b = lstm.forward(ctx, x2, Tensor());
  lstm.backward(ctx, p2, b.saved);
  std::vector<float> g2 = lstm.u.g().to_vector();
  ps.zero_grad();
  LstmOutput a2 = lstm.forward(ctx, x1, Tensor());
  LstmOutput b2 = lstm.forward(ctx, x2, Tensor());
  lstm.backward(ctx, p2, b2.saved);
  lstm.backward(ctx, p1, a2.saved);
  auto g = lstm.u.g().to_vector();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], g1[i] + g2[i], 1e-5);
}

TEST(Lstm, StepEqualsForward) {
  ParamStore ps;
  Lstm lstm(ps, "l", {kIn, kH});
  ps.finalize(Device::cpu(), 3);
  Ctx ctx;
  Tensor x = random_tensor({kB, kT, kIn}, 1);
  auto full = lstm.forward(ctx, x, Tensor()).y.to_vector();
  Tensor h = Tensor::zeros({kB, kH}), c = Tensor::zeros({kB, kH});
  auto xv = x.to_vector();
  for (int64_t t = 0; t < kT; ++t) {
    std::vector<float> xt;
    for (int64_t b = 0; b < kB; ++b)
      xt.insert(xt.end(), xv.begin() + (b * kT + t) * kIn, xv.begin() + (b * kT + t + 1) * kIn);
    auto y = lstm.step(Tensor::from_vector(xt, {kB, kIn}), h, c).to_vector();
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t j = 0; j < kH; ++j)
        EXPECT_NEAR(y[b * kH + j], full[(b * kT + t) * kH + j], 1e-6);
  }
}

// Variational dropout (--dropout-rnn): the same step and call order give the same masks, so the
// finite differences see the forward that the backward differentiates.
TEST(Lstm, GradientsWithVariationalDropout) {
  ParamStore ps;
  Lstm lstm(ps, "l", {kIn, kH, 0.4f});
  ps.finalize(Device::cpu(), 3);
  Ctx ctx;
  ctx.training = true;
  Tensor x = random_tensor({kB, kT, kIn}, 1);
  Tensor lengths = lens({5, 2, 4});
  Tensor probe = random_tensor({kB, kT, kH}, 2);
  auto run = [&] {
    ctx.begin_step(2);
    return lstm.forward(ctx, x, lengths);
  };
  auto loss = [&] { return dot(run().y, probe); };
  ps.zero_grad();
  LstmOutput out = run();
  ASSERT_TRUE(out.saved.mask_x.defined() && out.saved.mask_h.defined());
  // Masks are per sentence (rows differ) and hold only 0 and 1/(1-p); some of each.
  auto mx = out.saved.mask_x.to_vector();
  int dropped = 0;
  for (float v : mx) {
    EXPECT_TRUE(v == 0.f || std::abs(v - 1.f / 0.6f) < 1e-6) << v;
    dropped += v == 0.f;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, static_cast<int>(mx.size()));
  EXPECT_NE(std::vector<float>(mx.begin(), mx.begin() + kIn),
            std::vector<float>(mx.begin() + kIn, mx.begin() + 2 * kIn));
  // Dropout changes the output (compared with eval mode).
  Ctx eval;
  EXPECT_NE(lstm.forward(eval, x, lengths).y.to_vector(), out.y.to_vector());
  Tensor dx = lstm.backward(ctx, probe, out.saved);
  testing::expect_grad(loss, x, dx, "dx", 2e-2, 40);
  testing::expect_grad(loss, lstm.w.w(), lstm.w.g(), "dW");
  testing::expect_grad(loss, lstm.u.w(), lstm.u.g(), "dU");
  testing::expect_grad(loss, lstm.b.w(), lstm.b.g(), "db");
  // A dropped input feature gets no gradient at any step of its sentence.
  auto dxv = dx.to_vector();
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t j = 0; j < kIn; ++j)
      if (mx[b * kIn + j] == 0.f)
        for (int64_t t = 0; t < kT; ++t) EXPECT_EQ(dxv[(b * kT + t) * kIn + j], 0.f);
}

// Deep transition (depth 3: two transition cells per step), with padding and with and without
// variational dropout; and the decoding step chains the same cells.
TEST(Lstm, TransitionCellsGradientsAndStep) {
  for (float p : {0.f, 0.3f}) {
    ParamStore ps;
    Lstm lstm(ps, "l", {kIn, kH, p, 3});
    ps.finalize(Device::cpu(), 3);
    ASSERT_EQ(lstm.tu.size(), 2u);
    Ctx ctx;
    ctx.training = true;
    Tensor x = random_tensor({kB, kT, kIn}, 1);
    Tensor lengths = lens({5, 2, 4});
    Tensor probe = random_tensor({kB, kT, kH}, 2);
    auto run = [&] {
      ctx.begin_step(2);
      return lstm.forward(ctx, x, lengths);
    };
    auto loss = [&] { return dot(run().y, probe); };
    ps.zero_grad();
    LstmOutput out = run();
    EXPECT_EQ(out.saved.t_mask.size(), p > 0.f ? 2u : 0u);
    Tensor dx = lstm.backward(ctx, probe, out.saved);
    const std::string what = p > 0.f ? " (dropout)" : "";
    testing::expect_grad(loss, x, dx, "dx" + what, 2e-2, 40);
    // eps 3e-3: three cells per step curve more than one; at 1e-2 a small element is off by 3 %.
    testing::expect_grad(loss, lstm.w.w(), lstm.w.g(), "dW" + what, 2e-2, 24, 3e-3f);
    testing::expect_grad(loss, lstm.u.w(), lstm.u.g(), "dU" + what);
    for (int j = 0; j < 2; ++j) {
      testing::expect_grad(loss, lstm.tu[j].w(), lstm.tu[j].g(),
                           "dU cell " + std::to_string(j + 2) + what);
      testing::expect_grad(loss, lstm.tb[j].w(), lstm.tb[j].g(),
                           "db cell " + std::to_string(j + 2) + what);
    }
  }
  // Decoding steps (eval mode) equal the full forward.
  ParamStore ps;
  Lstm lstm(ps, "l", {kIn, kH, 0.f, 2});
  ps.finalize(Device::cpu(), 4);
  Ctx ctx;
  Tensor x = random_tensor({kB, kT, kIn}, 1);
  auto full = lstm.forward(ctx, x, Tensor()).y.to_vector();
  Tensor h = Tensor::zeros({kB, kH}), c = Tensor::zeros({kB, kH});
  auto xv = x.to_vector();
  for (int64_t t = 0; t < kT; ++t) {
    std::vector<float> xt;
    for (int64_t b = 0; b < kB; ++b)
      xt.insert(xt.end(), xv.begin() + (b * kT + t) * kIn, xv.begin() + (b * kT + t + 1) * kIn);
    auto y = lstm.step(Tensor::from_vector(xt, {kB, kIn}), h, c).to_vector();
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t j = 0; j < kH; ++j)
        EXPECT_NEAR(y[b * kH + j], full[(b * kT + t) * kH + j], 1e-6);
  }
}

TEST(BiLstm, GradientsMatchFiniteDifferencesWithPadding) {
  ParamStore ps;
  BiLstm lstm(ps, "bi", {kIn, kH});
  ps.finalize(Device::cpu(), 5);
  Ctx ctx;
  Tensor x = random_tensor({kB, kT, kIn}, 1);
  Tensor lengths = lens({5, 2, 4});
  Tensor probe = random_tensor({kB, kT, 2 * kH}, 2);
  auto loss = [&] { return dot(lstm.forward(ctx, x, lengths).y, probe); };
  ps.zero_grad();
  BiLstmOutput out = lstm.forward(ctx, x, lengths);
  EXPECT_EQ(out.y.shape(), Shape({kB, kT, 2 * kH}));
  Tensor dx = lstm.backward(ctx, probe, out.saved);
  testing::expect_grad(loss, x, dx, "dx", 2e-2, 40);
  testing::expect_grad(loss, lstm.fw().w.w(), lstm.fw().w.g(), "fw dW");
  testing::expect_grad(loss, lstm.bw().w.w(), lstm.bw().w.g(), "bw dW");
  testing::expect_grad(loss, lstm.bw().u.w(), lstm.bw().u.g(), "bw dU");
  testing::expect_grad(loss, lstm.bw().b.w(), lstm.bw().b.g(), "bw db");
}

// A sentence's outputs do not depend on how long the padding after it is: the backward
// direction starts at each sentence's own last token.
TEST(BiLstm, OutputIndependentOfPadding) {
  ParamStore ps;
  BiLstm lstm(ps, "bi", {kIn, kH});
  ps.finalize(Device::cpu(), 5);
  Ctx ctx;
  Tensor x = random_tensor({1, 3, kIn}, 1);
  auto alone = lstm.forward(ctx, x, lens({3})).y.to_vector();
  auto xv = x.to_vector();
  std::vector<float> padded(xv);
  padded.resize(5 * kIn, 7.f);  // garbage in the padding
  auto in_batch =
      lstm.forward(ctx, Tensor::from_vector(padded, {1, 5, kIn}), lens({3})).y.to_vector();
  for (size_t i = 0; i < alone.size(); ++i) EXPECT_NEAR(in_batch[i], alone[i], 1e-6);
}

}  // namespace
}  // namespace moemt::nn
