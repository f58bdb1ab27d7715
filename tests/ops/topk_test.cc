// Tests of the row-wise top-k op against a full sort.
#include "ops/topk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "nn/gradcheck.h"

#include "device_test.h"

namespace moemt::ops {

class TopKTest : public moemt::testing::DeviceTest {};
namespace {

TEST_P(TopKTest, MatchesStableSortOnRandomRows) {
  MOEMT_NEEDS_KERNELS("topk");
  const int64_t n = 37, e = 19;
  Tensor x = on(nn::random_tensor({n, e}, 3));
  auto xv = x.to_vector();
  for (int k : {1, 2, 4, 19}) {
    Tensor v = empty({n, k}), idx = empty({n, k}, DType::i32);
    topk(x, k, v, idx);
    auto vv = v.to_vector();
    auto iv = idx.to_ivector();
    for (int64_t r = 0; r < n; ++r) {
      std::vector<int> order(e);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return xv[r * e + a] > xv[r * e + b]; });
      for (int j = 0; j < k; ++j) {
        EXPECT_EQ(iv[r * k + j], order[j]) << "row " << r << " k " << k;
        EXPECT_EQ(vv[r * k + j], xv[r * e + order[j]]);
      }
    }
  }
}

TEST_P(TopKTest, TiesGoToLowerIndexAndMinusInfinityRanksLast) {
  MOEMT_NEEDS_KERNELS("topk");
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = on(Tensor::from_vector(
      std::vector<float>{1.f, 3.f, 3.f, -inf, 0.5f, -inf, -inf, 2.f, -inf, -inf}, {2, 5}));
  Tensor v = empty({2, 3}), idx = empty({2, 3}, DType::i32);
  topk(x, 3, v, idx);
  EXPECT_EQ(idx.to_ivector(), (std::vector<int32_t>{1, 2, 0, 2, 0, 1}));
  auto vv = v.to_vector();
  EXPECT_EQ(vv[3], 2.f);
  EXPECT_EQ(vv[5], -inf);
}

MOEMT_INSTANTIATE_ON_DEVICES(TopKTest);

}  // namespace
}  // namespace moemt::ops
