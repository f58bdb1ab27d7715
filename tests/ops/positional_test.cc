// The positional-table op against the formula in double, and offsets equal to rows of the
// table from position 0, bit for bit (incremental decoding relies on it).
#include "ops/positional.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moemt::ops {

TEST(SinusoidalPositions, FormulaAndOffsets) {
  for (int64_t d : {8, 7}) {
    const int64_t half = d / 2, n = 300;
    Tensor t = Tensor::empty({n, d});
    sinusoidal_positions(t, 0);
    auto v = t.to_vector();
    for (int64_t pos : {0, 1, 299})
      for (int64_t i = 0; i < half; ++i) {
        const double w = std::pow(10000.0, -static_cast<double>(i) / (half - 1));
        EXPECT_NEAR(v[pos * d + i], std::sin(pos * w), 1e-6);
        EXPECT_NEAR(v[pos * d + half + i], std::cos(pos * w), 1e-6);
      }
    if (d % 2) {
      EXPECT_EQ(v[5 * d + d - 1], 0.f);  // odd width: last column unused
    }
    Tensor rows = Tensor::empty({10, d});
    sinusoidal_positions(rows, 123);
    auto r = rows.to_vector();
    EXPECT_EQ(r, std::vector<float>(v.begin() + 123 * d, v.begin() + 133 * d));
  }
  Tensor bad = Tensor::empty({3});
  EXPECT_THROW(sinusoidal_positions(bad), InternalError);
}

}  // namespace moemt::ops
