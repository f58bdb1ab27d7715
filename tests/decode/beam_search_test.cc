// Beam search: greedy path equals a hand-rolled argmax loop, results do not depend on batch
// composition, a wide beam finds the exhaustive optimum on a tiny search space, n-best order.
#include "decode/beam_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "model/seq2seq.h"
#include "decode/tiny_model.h"

namespace moemt::decode {
namespace {

model::ModelConfig tiny(bool moe) { return fixtures::tiny_model(moe); }

SearchOptions opts(int beam) {
  SearchOptions o;
  o.beam_size = beam;
  o.blocked_ids = {0, 2};
  o.max_length = 6;
  return o;
}

const std::vector<std::vector<int32_t>> kSrc = {{4, 5, 6, 3}, {7, 3}, {8, 8, 5, 4, 6, 3}};

}  // namespace

TEST(BeamSearch, GreedyMatchesArgmaxLoop) {
  model::Seq2Seq m(tiny(false));
  m.finalize(Device::cpu(), 3);
  nn::Ctx ctx;
  auto res = beam_search(m, ctx, {kSrc[0]}, {0}, {1}, opts(1));
  ASSERT_EQ(res.size(), 1u);
  Tensor ids = Tensor::from_vector(kSrc[0], {1, 4});
  Tensor lens = Tensor::from_vector(std::vector<int32_t>{4}, {1});
  auto st = m.start(ctx, ids, lens, {0}, {1});
  std::vector<int32_t> out;
  int32_t last = 2;
  for (int t = 0; t < 6; ++t) {
    auto lp = m.step(ctx, *st, {last}).to_vector();
    lp[0] = lp[1] = lp[2] = -INFINITY;
    last = static_cast<int32_t>(std::max_element(lp.begin(), lp.end()) - lp.begin());
    if (last == 3) break;
    out.push_back(last);
  }
  EXPECT_EQ(res[0][0].tokens, out);
}

TEST(BeamSearch, IndependentOfBatchComposition) {
  for (bool moe : {false, true}) {
    model::Seq2Seq m(tiny(moe));
    m.finalize(Device::cpu(), 4);
    nn::Ctx ctx;
    ctx.dropless = true;  // as translate does
    for (int beam : {1, 3}) {
      auto together = beam_search(m, ctx, kSrc, {0, 0, 1}, {1, 1, 0}, opts(beam));
      for (size_t i = 0; i < kSrc.size(); ++i) {
        auto alone = beam_search(m, ctx, {kSrc[i]}, {i == 2 ? 1 : 0}, {i == 2 ? 0 : 1}, opts(beam));
        EXPECT_EQ(alone[0][0].tokens, together[i][0].tokens) << "moe " << moe << " beam " << beam;
        EXPECT_NEAR(alone[0][0].score, together[i][0].score, 1e-4) << "moe " << moe << " beam " << beam;
      }
    }
  }
}

TEST(BeamSearch, WideBeamFindsExhaustiveOptimum) {
  model::Seq2Seq m(tiny(false));
  m.finalize(Device::cpu(), 5);
  nn::Ctx ctx;
  SearchOptions o = opts(64);
  o.normalize = 0;
  o.max_length = 2;
  o.max_length_factor = 10;
  o.n_best = 3;
  auto res = beam_search(m, ctx, {kSrc[1]}, {0}, {1}, o);
  // Exhaustive: every sequence of <= 2 allowed tokens, terminated by eos or by the limit.
  const std::vector<int32_t> allowed = {3, 4, 5, 6, 7, 8};  // 0 pad, 1 unk, 2 bos blocked
  Tensor ids = Tensor::from_vector(kSrc[1], {1, 2});
  Tensor lens = Tensor::from_vector(std::vector<int32_t>{2}, {1});
  float best = -INFINITY;
  std::function<void(std::vector<int32_t>, float)> rec = [&](std::vector<int32_t> prefix, float sc) {
    auto st = m.start(ctx, ids, lens, {0}, {1});
    std::vector<float> lp;
    int32_t last = 2;
    for (size_t i = 0; i <= prefix.size(); ++i) {
      lp = m.step(ctx, *st, {last}).to_vector();
      if (i < prefix.size()) last = prefix[i];
    }
    for (int32_t v : allowed) {
      float s2 = sc + lp[v];
      if (v == 3) {
        best = std::max(best, s2);
      } else if (prefix.size() + 1 >= 2) {
        best = std::max(best, s2);  // hits the length limit unterminated
      } else {
        auto p = prefix;
        p.push_back(v);
        rec(p, s2);
      }
    }
  };
  rec({}, 0.f);
  ASSERT_FALSE(res[0].empty());
  EXPECT_NEAR(res[0][0].score, best, 1e-5);
  ASSERT_EQ(res[0].size(), 3u);
  EXPECT_GE(res[0][0].norm_score, res[0][1].norm_score);
  EXPECT_GE(res[0][1].norm_score, res[0][2].norm_score);
}

}  // namespace moemt::decode

namespace moemt::decode {

TEST(BeamSearch, MinLengthBlocksEarlyEos) {
  model::Seq2Seq m(tiny(false));
  m.finalize(Device::cpu(), 3);
  nn::Ctx ctx;
  for (int beam : {1, 3}) {
    SearchOptions o = opts(beam);
    o.max_length = 8;
    o.max_length_factor = 10;
    o.min_length = 5;
    auto res = beam_search(m, ctx, kSrc, {0, 0, 1}, {1, 1, 0}, o);
    for (const auto& r : res) {
      ASSERT_FALSE(r.empty());
      EXPECT_GE(r[0].tokens.size(), 5u) << "beam " << beam;
    }
  }
}

}  // namespace moemt::decode
