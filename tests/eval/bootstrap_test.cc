// Bootstrap resampling: the numpy-compatible draws and the paired test against sacrebleu
// 2.6.0's PairedTest results recorded in tests/data/score/paired_bs.jsonl.
#include "eval/bootstrap.h"

#include <gtest/gtest.h>

#include <memory>

#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/np_random.h"
#include "eval/ter.h"
#include "score_test_util.h"

namespace moemt::eval {
namespace {

TEST(NumpyPcg64, DrawsWhatNumpyDraws) {
  // numpy 2.4: np.random.default_rng(12345).choice(1000, size=8) and
  // np.random.default_rng(7).choice(37, size=5).
  NumpyPcg64 a(12345);
  const uint32_t want_a[] = {699, 227, 788, 316, 204, 797, 642, 676};
  for (uint32_t w : want_a) EXPECT_EQ(a.below(1000), w);
  NumpyPcg64 b(7);
  const uint32_t want_b[] = {34, 23, 25, 33, 21};
  for (uint32_t w : want_b) EXPECT_EQ(b.below(37), w);
}

TEST(NumpyPcg64, CoinsAreNumpyBooleans) {
  // ''.join(str(int(x)) for x in np.random.default_rng(12345).integers(2, size=70, dtype=bool))
  const std::string want =
      "1011100110000011111111110100110110110001100011010100110001011100011110";
  NumpyPcg64 r(12345);
  std::string got;
  for (size_t i = 0; i < want.size(); ++i) got += r.coin() ? '1' : '0';
  EXPECT_EQ(got, want);
}

TEST(Bootstrap, ConfidenceIntervalUsesTheTwoPointFiveAndNinetySevenPointFivePercentiles) {
  std::vector<double> v;
  for (int i = 0; i < 80; ++i) v.push_back(i);  // lower index 2, upper index 77
  auto [mean, ci] = estimate_ci(v);
  EXPECT_DOUBLE_EQ(mean, 39.5);
  EXPECT_DOUBLE_EQ(ci, 0.5 * (77 - 2));
}

TEST(Bootstrap, PairedTestMatchesSacrebleu) {
  auto cases = testing::read_jsonl("paired_bs.jsonl");
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["set"].get<std::string>() + " " + c["metric"].get<std::string>());
    std::unique_ptr<Metric> m;
    if (c["metric"] == "bleu") {
      BleuOptions o;
      o.tokenize = c["opts"].value("tokenize", "13a");
      m = std::make_unique<Bleu>(o);
    } else if (c["metric"] == "chrf") {
      ChrfOptions o;
      o.word_order = c["opts"].value("word_order", 0);
      m = std::make_unique<Chrf>(o);
    } else {
      m = std::make_unique<Ter>();
    }
    RefStreams refs;
    for (const auto& r : c["refs"]) refs.push_back(testing::read_lines(r));
    std::vector<std::vector<double>> stats;
    for (const auto& h : c["hyps"]) stats.push_back(m->corpus_stats(testing::read_lines(h), refs));
    auto res = paired_bootstrap(*m, stats, {c["n"].get<int>(), c["seed"].get<uint64_t>()});
    ASSERT_EQ(res.size(), c["results"].size());
    for (size_t s = 0; s < res.size(); ++s) {
      const auto& want = c["results"][s];
      EXPECT_NEAR(res[s].score, want["score"].get<double>(), 1e-9);
      // sacrebleu sums resampled statistics in float32, so means and intervals may differ in
      // the 4th-5th significant digit; p-values may move by one resample in 1001.
      EXPECT_NEAR(res[s].mean, want["mean"].get<double>(), 2e-3);
      EXPECT_NEAR(res[s].ci, want["ci"].get<double>(), 2e-3);
      if (want["p_value"].is_null()) {
        EXPECT_FALSE(res[s].p_value.has_value());
      } else {
        ASSERT_TRUE(res[s].p_value.has_value());
        EXPECT_NEAR(*res[s].p_value, want["p_value"].get<double>(), 1.5 / 1001);
      }
    }
  }
}

}  // namespace
}  // namespace moemt::eval
