// Gradient buckets (--bucket-cap-mb): whole parameters, last first, covering the range; the
// bucketed all-reduce gives the one-shot all-reduce's sums (threads backend).
#include <gtest/gtest.h>

#include <thread>

#include "nn/gradcheck.h"
#include "train/grad_buckets.h"

namespace moemt::train {
namespace {

// Parameters of 6, 40, 3, 100, 12 and 7 values (the last two experts).
void build(ParamStore& ps) {
  int i = 0;
  for (int64_t n : {6, 40, 3, 100})
    ps.add(fmt::format("dense.{}", i++), Shape({n}), InitSpec::Normal(1.f));
  for (int64_t n : {12, 7})
    ps.add(fmt::format("expert.{}", i++), Shape({n}), InitSpec::Normal(1.f), ParamGroup::expert);
  ps.finalize(Device::cpu(), 3);
}

TEST(GradientBuckets, WholeParametersLastFirstCoveringTheRange) {
  ParamStore ps;
  build(ps);
  std::vector<int64_t> starts;
  for (int id = 0; id < ps.size(); ++id) starts.push_back(ps.info(id).offset);
  for (int64_t cap_values : {0, 1, 10, 45, 1000}) {
    for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, ps.dense_numel()}, {0, ps.numel()}}) {
      const auto b = gradient_buckets(ps, lo, hi, cap_values * 4);
      const std::string what = fmt::format("cap {} values, range [{}, {})", cap_values, lo, hi);
      ASSERT_FALSE(b.empty()) << what;
      EXPECT_EQ(b.front().second, hi) << what;
      EXPECT_EQ(b.back().first, lo) << what;
      for (size_t k = 0; k < b.size(); ++k) {
        EXPECT_LT(b[k].first, b[k].second) << what;
        if (k + 1 < b.size()) {
          EXPECT_EQ(b[k + 1].second, b[k].first) << what;  // reverse, no gap
          // Every bucket but the first parameters' one holds at least the cap.
          EXPECT_GE(b[k].second - b[k].first, cap_values) << what;
        }
        EXPECT_NE(std::find(starts.begin(), starts.end(), b[k].first), starts.end())
            << what << ": bucket starts inside a parameter";
      }
      if (cap_values == 0) {
        EXPECT_EQ(b.size(), 1u) << what;
      }
    }
  }
  // Cap 45 values over the dense range (6, 40, 3, 100 values, 16-value aligned): the last
  // parameter alone, then parameters 2 and 1 (16 + 48 values), then parameter 0.
  const auto b = gradient_buckets(ps, 0, ps.dense_numel(), 45 * 4);
  using R = std::pair<int64_t, int64_t>;
  const int64_t o1 = ps.info(1).offset, o3 = ps.info(3).offset;
  EXPECT_EQ(b, (std::vector<R>{{o3, ps.dense_numel()}, {o1, o3}, {0, o1}}));
}

TEST(GradientBuckets, BucketedAllReduceEqualsOneAllReduce) {
  // 3 thread ranks with different gradients: every bucket size gives the one-shot sums,
  // bitwise (each element is summed in rank order either way).
  ParamStore ref;
  build(ref);
  const int64_t n = ref.numel();
  std::vector<std::vector<float>> one(3), bucketed(3);
  for (int64_t cap_values : {0, 1, 45}) {
    for (bool buckets : {false, true}) {
      auto comms = dist::make_thread_group(3, 30);
      std::vector<std::thread> threads;
      for (int r = 0; r < 3; ++r)
        threads.emplace_back([&, r] {
          Tensor g = nn::random_tensor({n}, 100 + r);
          if (buckets)
            all_reduce_buckets(*comms[r], g, gradient_buckets(ref, 0, n, cap_values * 4),
                               "test");
          else
            comms[r]->all_reduce_sum(g, "test");
          (buckets ? bucketed : one)[r] = g.to_vector();
        });
      for (auto& t : threads) t.join();
    }
    for (int r = 0; r < 3; ++r) EXPECT_EQ(bucketed[r], one[r]) << "cap " << cap_values;
    EXPECT_NE(one[0], nn::random_tensor({n}, 100).to_vector()) << "the sum must change values";
  }
}

}  // namespace
}  // namespace moemt::train
