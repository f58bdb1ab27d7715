// Tests of the token permutation ops: round trip, weighted combine and its weight gradient,
// each against a plain per-token loop.
#include "ops/permute.h"

#include <gtest/gtest.h>

#include "nn/gradcheck.h"

#include "device_test.h"

namespace moemt::ops {

class PermuteTest : public moemt::testing::DeviceTest {};
namespace {

// 5 tokens, k = 2; slot rows form a permutation of 0..7 with two slots dropped (-1).
const std::vector<int32_t> kRows = {3, 0, 5, -1, 7, 1, 2, 6, -1, 4};

TEST_P(PermuteTest, RoundTripRestoresTokens) {
  MOEMT_NEEDS_KERNELS("permute");
  Tensor x = on(nn::random_tensor({5, 6}, 1));
  Tensor rows = on(Tensor::from_vector(kRows, {5, 2}));
  Tensor buf = empty({8, 6});
  permute(x, rows, Tensor(), buf);
  auto xv = x.to_vector(), bv = buf.to_vector();
  for (int t = 0; t < 5; ++t)
    for (int j = 0; j < 2; ++j) {
      int r = kRows[t * 2 + j];
      if (r < 0) continue;
      for (int c = 0; c < 6; ++c) EXPECT_EQ(bv[r * 6 + c], xv[t * 6 + c]);
    }
  // Combine with weights 1/(kept slots) gives back x exactly for tokens with a kept slot.
  std::vector<float> w(10);
  for (int t = 0; t < 5; ++t) {
    int kept = (kRows[2 * t] >= 0) + (kRows[2 * t + 1] >= 0);
    for (int j = 0; j < 2; ++j) w[2 * t + j] = 1.f / kept;
  }
  Tensor back = empty({5, 6});
  unpermute_combine(buf, rows, on(Tensor::from_vector(w, {5, 2})), back);
  auto rv = back.to_vector();
  for (size_t i = 0; i < rv.size(); ++i) EXPECT_NEAR(rv[i], xv[i], 1e-6);
}

TEST_P(PermuteTest, WeightedCombineAndWeightGradMatchLoops) {
  MOEMT_NEEDS_KERNELS("permute");
  Tensor y = on(nn::random_tensor({8, 4}, 2));
  Tensor w = on(nn::random_tensor({5, 2}, 3));
  Tensor dout = on(nn::random_tensor({5, 4}, 4));
  Tensor rows = on(Tensor::from_vector(kRows, {5, 2}));
  Tensor out = on(nn::random_tensor({5, 4}, 5));
  auto before = out.to_vector();
  unpermute_combine(y, rows, w, out, 0.5f);
  Tensor dw = empty({5, 2});
  combine_weight_grad(dout, y, rows, dw);
  auto yv = y.to_vector(), wv = w.to_vector(), ov = out.to_vector(), gv = dout.to_vector(),
       dv = dw.to_vector();
  for (int t = 0; t < 5; ++t) {
    for (int c = 0; c < 4; ++c) {
      double ref = 0.5 * before[t * 4 + c];
      for (int j = 0; j < 2; ++j)
        if (kRows[t * 2 + j] >= 0) ref += wv[t * 2 + j] * yv[kRows[t * 2 + j] * 4 + c];
      EXPECT_NEAR(ov[t * 4 + c], ref, 1e-5);
    }
    for (int j = 0; j < 2; ++j) {
      double ref = 0;
      if (kRows[t * 2 + j] >= 0)
        for (int c = 0; c < 4; ++c) ref += gv[t * 4 + c] * yv[kRows[t * 2 + j] * 4 + c];
      EXPECT_NEAR(dv[t * 2 + j], ref, 1e-5);
    }
  }
  // Weighted permute: buffer row = w * x[token].
  Tensor x = on(nn::random_tensor({5, 4}, 6));
  Tensor buf = zeros({8, 4});
  permute(x, rows, w, buf);
  auto xv = x.to_vector(), bv = buf.to_vector();
  for (int t = 0; t < 5; ++t)
    for (int j = 0; j < 2; ++j) {
      int r = kRows[t * 2 + j];
      if (r < 0) continue;
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(bv[r * 4 + c], wv[t * 2 + j] * xv[t * 4 + c], 1e-6);
    }
}

MOEMT_INSTANTIATE_ON_DEVICES(PermuteTest);

}  // namespace
}  // namespace moemt::ops
