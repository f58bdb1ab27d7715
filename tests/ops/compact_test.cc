// compact_nonpad: the kept rows in order with their targets and count, against a host loop;
// no padding and all padding; bad shapes fail.
#include "ops/compact.h"

#include <gtest/gtest.h>

#include "device_test.h"

namespace moemt::ops {
namespace {

class CompactTest : public moemt::testing::DeviceTest {};

TEST_P(CompactTest, KeepsNonPadRowsInOrder) {
  MOEMT_NEEDS_KERNELS("compact");
  const int32_t pad = 0;
  for (const std::vector<int32_t>& tv :
       {std::vector<int32_t>{3, 0, 10, 1, 0, 7, 3, 0}, std::vector<int32_t>{4, 5, 6},
        std::vector<int32_t>{0, 0}}) {
    const int64_t n = static_cast<int64_t>(tv.size());
    Tensor t = on(Tensor::from_vector(tv, {n}));
    Tensor index = empty({n}, DType::i32), kept = empty({n}, DType::i32),
           count = empty({1}, DType::i32);
    compact_nonpad(t, pad, index, kept, count);
    std::vector<int32_t> want_index, want_kept;
    for (int64_t r = 0; r < n; ++r)
      if (tv[r] != pad) {
        want_index.push_back(static_cast<int32_t>(r));
        want_kept.push_back(tv[r]);
      }
    const int32_t m = count.to_ivector()[0];
    ASSERT_EQ(m, static_cast<int32_t>(want_index.size()));
    auto iv = index.to_ivector(), kv = kept.to_ivector();
    EXPECT_EQ(std::vector<int32_t>(iv.begin(), iv.begin() + m), want_index);
    EXPECT_EQ(std::vector<int32_t>(kv.begin(), kv.begin() + m), want_kept);
  }
  Tensor t = on(Tensor::from_vector(std::vector<int32_t>{1, 2}, {2}));
  Tensor small = empty({1}, DType::i32), count = empty({1}, DType::i32);
  EXPECT_THROW(compact_nonpad(t, 0, small, small, count), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(CompactTest);

}  // namespace
}  // namespace moemt::ops
