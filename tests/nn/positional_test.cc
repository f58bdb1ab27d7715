// Sinusoidal positions: known values, offsets for incremental decoding, broadcast over batch.
#include "nn/positional.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nn/gradcheck.h"

namespace moemt::nn {

TEST(Positional, ValuesOffsetsAndBatch) {
  const int64_t d = 8, half = 4;
  PositionalEncoding pe(d);
  Tensor t = pe.table(0, 2000);  // past the initial table: forces a regrowth
  auto v = t.to_vector();
  for (int64_t i = 0; i < half; ++i) {
    EXPECT_EQ(v[i], 0.f);         // sin(0)
    EXPECT_EQ(v[half + i], 1.f);  // cos(0)
  }
  for (int64_t pos : {1, 7, 1999})
    for (int64_t i = 0; i < half; ++i) {
      double w = std::pow(10000.0, -static_cast<double>(i) / (half - 1));
      EXPECT_NEAR(v[pos * d + i], std::sin(pos * w), 1e-5);
      EXPECT_NEAR(v[pos * d + half + i], std::cos(pos * w), 1e-5);
    }

  Ctx ctx;
  Tensor x = random_tensor({2, 3, d}, 1);
  Tensor y = pe.forward(ctx, x, 5);
  auto xv = x.to_vector(), yv = y.to_vector();
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t s = 0; s < 3; ++s)
      for (int64_t j = 0; j < d; ++j) {
        int64_t k = (b * 3 + s) * d + j;
        EXPECT_FLOAT_EQ(yv[k], xv[k] + v[(5 + s) * d + j]);
      }
  // Step-by-step (offset t, length 1) equals the full-sequence encoding.
  Tensor row = x.reshape({6, d}).narrow(2, 1).reshape({1, 1, d});  // batch 0, position 2
  Tensor step = pe.forward(ctx, row, 7);
  for (int64_t j = 0; j < d; ++j) EXPECT_FLOAT_EQ(step.to_vector()[j], yv[2 * d + j]);
  Tensor dy = random_tensor({2, 3, d}, 2);
  EXPECT_EQ(pe.backward(ctx, dy).raw(), dy.raw());
  PositionalEncoding odd(5);
  auto ov = odd.table(3, 1).to_vector();
  EXPECT_EQ(ov[4], 0.f);  // odd width: last column unused
  EXPECT_NEAR(ov[0], std::sin(3.0), 1e-6);
}

}  // namespace moemt::nn
