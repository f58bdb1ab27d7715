// Tests for the deterministic sampling helpers.
#include "data/sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace moemt::data {
namespace {

TEST(Sampling, ShuffleIsAPermutationAndSeeded) {
  std::vector<int> a(50);
  std::iota(a.begin(), a.end(), 0);
  auto b = a, c = a;
  std::mt19937_64 r1(5), r2(5), r3(6);
  shuffle_in_place(a, r1);
  shuffle_in_place(b, r2);
  shuffle_in_place(c, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::sort(c.begin(), c.end());
  std::vector<int> id(50);
  std::iota(id.begin(), id.end(), 0);
  EXPECT_EQ(c, id);
}

TEST(Sampling, UniformBelowInRangeAndRoughlyUniform) {
  std::mt19937_64 rng(1);
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 70000; ++i) ++hist[uniform_below(rng, 7)];
  for (int h : hist) EXPECT_NEAR(h, 10000, 500);  // ~5 sigma
}

TEST(Sampling, MixSeedSeparatesStreams) {
  EXPECT_NE(mix_seed(1, 0), mix_seed(1, 1));
  EXPECT_NE(mix_seed(1, 0), mix_seed(2, 0));
  EXPECT_EQ(mix_seed(3, 4), mix_seed(3, 4));
}

TEST(Sampling, TemperatureQuotas) {
  EXPECT_EQ(temperature_quotas({900, 100}, 1.0, 1000), (std::vector<int64_t>{900, 100}));
  EXPECT_EQ(temperature_quotas({900, 100}, 5.0, 1000), (std::vector<int64_t>{608, 392}));
  EXPECT_EQ(temperature_quotas({900, 100}, 1e9, 1000), (std::vector<int64_t>{500, 500}));
  EXPECT_EQ(temperature_quotas({10, 0, 10}, 2.0, 7), (std::vector<int64_t>{4, 0, 3}));
  const auto q = temperature_quotas({3, 5, 7, 11}, 3.0, 101);
  EXPECT_EQ(std::accumulate(q.begin(), q.end(), int64_t{0}), 101);
}

TEST(Sampling, SampleIndicesRepeatsThenSubsets) {
  std::mt19937_64 rng(3);
  auto s = sample_indices(4, 10, rng);  // 2 full copies + 2 distinct extra
  ASSERT_EQ(s.size(), 10u);
  std::vector<int> count(4, 0);
  for (auto i : s) ++count[i];
  int threes = 0;
  for (int c : count) {
    EXPECT_TRUE(c == 2 || c == 3);
    threes += c == 3;
  }
  EXPECT_EQ(threes, 2);
  auto t = sample_indices(10, 3, rng);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(std::adjacent_find(t.begin(), t.end()) == t.end());  // no repeats
}

}  // namespace
}  // namespace moemt::data
