// f32 <-> bf16/f16 casts: known bit patterns, round to nearest even at the midpoints, every
// 16-bit pattern round-trips, and the op agrees with the shared conversion functions on every
// device.
#include "ops/cast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "device_test.h"
#include "ops/math/convert.h"

namespace moemt::ops {
namespace {

using math::bf16_to_f32;
using math::f16_to_f32;
using math::f32_to_bf16;
using math::f32_to_f16;

TEST(Convert, KnownF16Patterns) {
  EXPECT_EQ(f32_to_f16(1.f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.f), 0xc000);
  EXPECT_EQ(f32_to_f16(0.1f), 0x2e66);
  EXPECT_EQ(f32_to_f16(65504.f), 0x7bff);    // largest finite
  EXPECT_EQ(f32_to_f16(65519.f), 0x7bff);    // below the rounding midpoint to infinity
  EXPECT_EQ(f32_to_f16(65520.f), 0x7c00);    // rounds to infinity
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.f, -25)), 0x0000);  // a tie, to even (zero)
  EXPECT_EQ(f32_to_f16(std::ldexp(3.f, -25)), 0x0002);  // 1.5 units: a tie, to even (2)
  EXPECT_EQ(f32_to_f16(1.f + std::ldexp(1.f, -11)), 0x3c00);  // tie between 1 and 1+2^-10: even
  EXPECT_EQ(f32_to_f16(1.f + std::ldexp(3.f, -11)), 0x3c02);  // tie: to the even neighbour
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(f16_to_f32(0x7c00), std::numeric_limits<float>::infinity());
}

TEST(Convert, KnownBf16Patterns) {
  EXPECT_EQ(f32_to_bf16(1.f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(-2.f), 0xc000);
  EXPECT_EQ(f32_to_bf16(1.f + std::ldexp(1.f, -8)), 0x3f80);       // tie: even
  EXPECT_EQ(f32_to_bf16(1.f + std::ldexp(3.f, -8)), 0x3f82);       // tie: even
  EXPECT_EQ(f32_to_bf16(1.f + std::ldexp(1.f, -8) + std::ldexp(1.f, -20)), 0x3f81);  // above
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds to infinity
}

TEST(Convert, EverySixteenBitPatternRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    uint16_t b = static_cast<uint16_t>(h);
    bool f16_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    bool bf16_nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f);
    if (!f16_nan) {
      ASSERT_EQ(f32_to_f16(f16_to_f32(b)), b) << std::hex << h;
    }
    if (!bf16_nan) {
      ASSERT_EQ(f32_to_bf16(bf16_to_f32(b)), b) << std::hex << h;
    }
  }
}

#ifdef __FLT16_MAX__
// The compiler's own correctly rounded conversion as an independent reference.
TEST(Convert, F16MatchesTheCompilersConversion) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    float f = math::bits_f32(bits(rng));
    if (std::isnan(f)) continue;
    _Float16 h = static_cast<_Float16>(f);
    uint16_t want;
    std::memcpy(&want, &h, 2);
    ASSERT_EQ(f32_to_f16(f), want) << f;
  }
}
#endif

class CastTest : public moemt::testing::DeviceTest {};

TEST_P(CastTest, RoundTripsThroughEachStorageType) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.f, 100.f);
  std::vector<float> v(1000);
  for (auto& x : v) x = nd(rng);
  Tensor x = on(Tensor::from_vector(v, {10, 100}));
  for (DType t : {DType::bf16, DType::f16}) {
    Tensor h = empty({10, 100}, t);
    Tensor back = empty({10, 100});
    cast(x, h);
    cast(h, back);
    auto got = back.to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      float want = t == DType::bf16 ? bf16_to_f32(f32_to_bf16(v[i])) : f16_to_f32(f32_to_f16(v[i]));
      ASSERT_EQ(got[i], want) << dtype_name(t) << " element " << i;
    }
  }
}

MOEMT_INSTANTIATE_ON_DEVICES(CastTest);

}  // namespace
}  // namespace moemt::ops
