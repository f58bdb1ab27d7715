// Head split/merge against index arithmetic, their round trip, and time concatenation.
#include "ops/heads.h"

#include <gtest/gtest.h>

#include "nn/gradcheck.h"

#include "device_test.h"

namespace moemt::ops {

class HeadsTest : public moemt::testing::DeviceTest {};
namespace {

TEST_P(HeadsTest, SplitMatchesIndexingAndMergeInverts) {
  MOEMT_NEEDS_KERNELS("heads");
  const int64_t b = 2, t = 3, h = 2, dh = 4;
  Tensor x = on(nn::random_tensor({b, t, h * dh}, 1));
  Tensor y = empty({b, h, t, dh}), z = empty({b, t, h * dh});
  split_heads(x, h, y);
  auto xv = x.to_vector(), yv = y.to_vector();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t k = 0; k < h; ++k)
      for (int64_t s = 0; s < t; ++s)
        for (int64_t e = 0; e < dh; ++e)
          EXPECT_EQ(yv[((i * h + k) * t + s) * dh + e], xv[(i * t + s) * h * dh + k * dh + e]);
  merge_heads(y, z);
  EXPECT_EQ(z.to_vector(), xv);
  Tensor bad = empty({b, t, h, dh});
  EXPECT_THROW(split_heads(x, h, bad), InternalError);
  EXPECT_THROW(split_heads(x, 3, y), InternalError);
}

TEST_P(HeadsTest, ConcatTime) {
  MOEMT_NEEDS_KERNELS("heads");
  Tensor a = on(nn::random_tensor({2, 3, 2, 4}, 2)), c = on(nn::random_tensor({2, 3, 1, 4}, 3));
  Tensor y = empty({2, 3, 3, 4});
  concat_time(a, c, y);
  auto av = a.to_vector(), cv = c.to_vector(), yv = y.to_vector();
  for (int64_t blk = 0; blk < 6; ++blk)
    for (int64_t s = 0; s < 3; ++s)
      for (int64_t e = 0; e < 4; ++e) {
        float want = s < 2 ? av[(blk * 2 + s) * 4 + e] : cv[blk * 4 + e];
        EXPECT_EQ(yv[(blk * 3 + s) * 4 + e], want);
      }
  // An empty cache plus one step is that step.
  Tensor none = empty({2, 3, 0, 4}), one = empty({2, 3, 1, 4});
  concat_time(none, c, one);
  EXPECT_EQ(one.to_vector(), cv);
  Tensor wrong = empty({2, 3, 4, 4});
  EXPECT_THROW(concat_time(a, c, wrong), InternalError);
}

TEST_P(HeadsTest, ConcatTimeWithRowsGathersThenAppends) {
  MOEMT_NEEDS_KERNELS("heads");
  // a has 2 rows; the output has 3: rows 1, 1, 0 of a, each followed by its own new step.
  Tensor a = on(nn::random_tensor({2, 3, 2, 4}, 4)), c = on(nn::random_tensor({3, 3, 1, 4}, 5));
  Tensor rows = on(Tensor::from_vector(std::vector<int32_t>{1, 1, 0}, {3}));
  Tensor y = empty({3, 3, 3, 4});
  concat_time(a, rows, c, y);
  const int src[3] = {1, 1, 0};
  auto av = a.to_vector(), cv = c.to_vector(), yv = y.to_vector();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t s = 0; s < 3; ++s)
        for (int64_t e = 0; e < 4; ++e) {
          float want = s < 2 ? av[((src[r] * 3 + h) * 2 + s) * 4 + e] : cv[(r * 3 + h) * 4 + e];
          EXPECT_EQ(yv[((r * 3 + h) * 3 + s) * 4 + e], want) << r << " " << h << " " << s;
        }
  Tensor bad = on(Tensor::from_vector(std::vector<int32_t>{1, 2, 0}, {3}));
  EXPECT_THROW(concat_time(a, bad, c, y), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(HeadsTest);

}  // namespace
}  // namespace moemt::ops
