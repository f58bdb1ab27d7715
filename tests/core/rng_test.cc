// Counter-based RNG: known-answer test, determinism and distribution moments.
#include "core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moemt {

TEST(Philox, KnownAnswer) {
  // Random123's published known-answer vector for philox4x32-10 with zero counter and key.
  auto w = philox4x32(0, 0, 0);
  EXPECT_EQ(w[0], 0x6627e8d5u);
  EXPECT_EQ(w[1], 0xe169c58du);
  EXPECT_EQ(w[2], 0xbc57ac4cu);
  EXPECT_EQ(w[3], 0x9b00dbd8u);
}

TEST(RngStream, MomentsAndIndependence) {
  RngStream r{1234, 7};
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    su += r.uniform(i);
    double z = r.normal(i);
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  EXPECT_EQ(r.bits(5), (RngStream{1234, 7}.bits(5)));
  EXPECT_NE(r.bits(5), r.sub(1).bits(5));
  EXPECT_NE(r.sub(1).bits(0), r.sub(2).bits(0));
}

}  // namespace moemt
