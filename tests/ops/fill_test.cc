// fill and zero: every element written, in every dtype zero allows, past the threaded size.
#include "ops/fill.h"

#include <gtest/gtest.h>

namespace moemt::ops {

TEST(Fill, FillsAndZeroes) {
  for (int64_t n : {1, 300001}) {
    Tensor x = Tensor::empty({n});
    fill(x, 2.5f);
    EXPECT_EQ(x.to_vector(), std::vector<float>(n, 2.5f));
    Tensor part = x.narrow(n / 2, n - n / 2);  // a view: only its rows change
    zero(part);
    auto v = x.to_vector();
    EXPECT_EQ(v[n / 2], 0.f);
    EXPECT_EQ(v.back(), 0.f);
    if (n > 1) {
      EXPECT_EQ(v[n / 2 - 1], 2.5f);
    }
    Tensor i = Tensor::from_vector(std::vector<int32_t>(n, 7), {n});
    zero(i);
    EXPECT_EQ(i.to_ivector(), std::vector<int32_t>(n, 0));
    EXPECT_THROW(fill(i, 1.f), Error);  // fill is f32 only (the dtype contract: one-line Error)
  }
}

}  // namespace moemt::ops
