// The router's shared host/device math: the noise draw that the CPU op and the CUDA kernel
// both call must be RngStream::normal, which the rest of moemt draws from.
#include "ops/router_math.h"

#include <gtest/gtest.h>

#include "core/rng.h"

namespace moemt::ops {
namespace {

TEST(RouterMath, NoiseNormalIsRngStreamNormal) {
  for (uint64_t seed : {0ull, 7ull, 0x123456789abcdefull})
    for (uint64_t stream : {0ull, 3ull, 0xfeedull}) {
      const RngStream rng{seed, stream};
      for (uint64_t i = 0; i < 200; ++i)
        ASSERT_EQ(router_math::noise_normal(seed, stream, i), rng.normal(i)) << seed << " " << i;
    }
}

TEST(RouterMath, SoftplusAndSigmoid) {
  EXPECT_NEAR(router_math::softplus(0.0), std::log(2.0), 1e-15);
  EXPECT_EQ(router_math::softplus(30.0), 30.0);  // the large-input branch
  EXPECT_NEAR(router_math::sigmoid(0.0), 0.5, 1e-15);
  EXPECT_NEAR(router_math::normal_cdf(0.0), 0.5, 1e-15);
}

}  // namespace
}  // namespace moemt::ops
