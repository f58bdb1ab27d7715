// Tests of beam search's candidate selection (ops::beam_topk) against a host search over the
// full rows: the same values bit for bit, the same tokens, the same tie order.
#include "ops/beam_topk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.h"
#include "device_test.h"
#include "nn/gradcheck.h"

namespace moemt::ops {

class BeamTopKTest : public moemt::testing::DeviceTest {};
namespace {

const float kInf = std::numeric_limits<float>::infinity();

// The host search's ranking: score + lp (+ bias), stably sorted, largest first.
void expect_host_order(const std::vector<float>& lp, const std::vector<float>& scores,
                       const std::vector<float>& bias, int64_t rows, int64_t v, int k,
                       const Tensor& values, const Tensor& indices) {
  auto got_v = values.to_vector();
  auto got_i = indices.to_ivector();
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> key(v);
    for (int64_t c = 0; c < v; ++c) {
      key[c] = (scores.empty() ? 0.f : scores[r]) + lp[r * v + c];
      if (!bias.empty()) key[c] += bias[c];
    }
    std::vector<int> order(v);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key[a] > key[b]; });
    for (int j = 0; j < k; ++j) {
      ASSERT_EQ(got_i[r * k + j], order[j]) << "row " << r << " rank " << j << " k " << k;
      ASSERT_EQ(got_v[r * k + j], key[order[j]]) << "row " << r << " rank " << j;
    }
  }
}

// Log-probability-like rows with repeated values (ties) and some -inf, plus a bias blocking a
// few tokens; narrow rows run the CUDA thread-per-row kernel, wide ones the block-per-row one.
TEST_P(BeamTopKTest, MatchesHostSearchOnNarrowAndWideRows) {
  MOEMT_NEEDS_KERNELS("beam_topk");
  std::mt19937 rng(7);
  for (int64_t v : {37, 1500}) {
    const int64_t rows = 9;
    std::vector<float> lp(rows * v), scores(rows), bias(v, 0.f);
    std::uniform_int_distribution<int> level(0, 60);
    for (auto& x : lp) x = -0.25f * static_cast<float>(level(rng));  // many exact ties
    for (int64_t r = 0; r < rows; ++r) {
      lp[r * v + (r * 7) % v] = -kInf;
      scores[r] = -3.f * static_cast<float>(r) - 0.1f;
    }
    for (int64_t c : {int64_t{0}, int64_t{2}, v - 1}) bias[c] = -kInf;
    Tensor tlp = on(Tensor::from_vector(lp, {rows, v}));
    Tensor ts = on(Tensor::from_vector(scores, {rows}));
    Tensor tb = on(Tensor::from_vector(bias, {v}));
    for (int k : {1, 3, 8, 32}) {
      Tensor val = empty({rows, k}), idx = empty({rows, k}, DType::i32);
      beam_topk(tlp, ts, tb, k, val, idx);
      expect_host_order(lp, scores, bias, rows, v, k, val, idx);
      beam_topk(tlp, Tensor(), Tensor(), k, val, idx);  // greedy: the log-probs alone
      expect_host_order(lp, {}, {}, rows, v, k, val, idx);
    }
  }
}

// Ranking the rounded sum, as the host did, can tie two tokens whose log-probs differ: then the
// lower token wins, where the log-probs alone would pick the other.
TEST_P(BeamTopKTest, RanksTheRoundedSum) {
  MOEMT_NEEDS_KERNELS("beam_topk");
  const float lower = -1.f - 1.f / (1 << 20);  // 1024 + lower rounds to 1023, as 1024 - 1 does
  Tensor lp = on(Tensor::from_vector(std::vector<float>{lower, -1.f, -5.f}, {1, 3}));
  Tensor val = empty({1, 2}), idx = empty({1, 2}, DType::i32);
  beam_topk(lp, on(Tensor::from_vector(std::vector<float>{1024.f}, {1})), Tensor(), 2, val, idx);
  EXPECT_EQ(idx.to_ivector(), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(val.to_vector(), (std::vector<float>{1023.f, 1023.f}));
  beam_topk(lp, Tensor(), Tensor(), 2, val, idx);
  EXPECT_EQ(idx.to_ivector(), (std::vector<int32_t>{1, 0}));
}

// Blocked tokens rank last at -inf, behind every allowed one, however low.
TEST_P(BeamTopKTest, BlockedTokensRankLast) {
  MOEMT_NEEDS_KERNELS("beam_topk");
  Tensor lp = on(Tensor::from_vector(std::vector<float>{-0.1f, -90.f, -0.2f, -80.f}, {1, 4}));
  Tensor bias = on(Tensor::from_vector(std::vector<float>{-kInf, 0.f, -kInf, 0.f}, {4}));
  Tensor val = empty({1, 4}), idx = empty({1, 4}, DType::i32);
  beam_topk(lp, Tensor(), bias, 4, val, idx);
  EXPECT_EQ(idx.to_ivector(), (std::vector<int32_t>{3, 1, 0, 2}));
  EXPECT_EQ(val.to_vector(), (std::vector<float>{-80.f, -90.f, -kInf, -kInf}));
}

TEST_P(BeamTopKTest, RejectsBadShapes) {
  MOEMT_NEEDS_KERNELS("beam_topk");
  Tensor lp = on(nn::random_tensor({2, 5}, 1));
  Tensor val = empty({2, 6}), idx = empty({2, 6}, DType::i32);
  EXPECT_THROW(beam_topk(lp, Tensor(), Tensor(), 6, val, idx), InternalError);  // k > V
  Tensor v2 = empty({2, 2}), i2 = empty({2, 2}, DType::i32);
  EXPECT_THROW(beam_topk(lp, on(nn::random_tensor({3}, 2)), Tensor(), 2, v2, i2), InternalError);
  EXPECT_THROW(beam_topk(lp, Tensor(), on(nn::random_tensor({4}, 3)), 2, v2, i2), InternalError);
}

MOEMT_INSTANTIATE_ON_DEVICES(BeamTopKTest);

}  // namespace
}  // namespace moemt::ops
