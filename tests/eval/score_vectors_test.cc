// Corpus and sentence scores against sacrebleu 2.6.0's values recorded in
// tests/data/score/expected.jsonl (see README.md there for how they were produced).
// Tolerance: 1e-6 absolute on scores in [0, 100], far tighter than the 4 decimals required.
#include <gtest/gtest.h>

#include <memory>

#include "core/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/ter.h"
#include "score_test_util.h"

namespace moemt::eval {
namespace {

using testing::read_jsonl;
using testing::read_lines;

constexpr double kTol = 1e-6;

std::unique_ptr<Metric> make(const nlohmann::json& c, bool sentence) {
  const std::string m = c["metric"];
  const auto& o = c["opts"];
  if (m == "bleu") {
    BleuOptions b;
    b.tokenize = o.value("tokenize", "13a");
    b.lowercase = o.value("lowercase", false);
    b.smooth = parse_bleu_smooth(o.value("smooth_method", "exp"));
    if (o.contains("smooth_value")) b.smooth_value = o["smooth_value"].get<double>();
    b.effective_order = o.value("effective_order", false) || sentence;
    return std::make_unique<Bleu>(b);
  }
  if (m == "chrf") {
    ChrfOptions h;
    h.char_order = o.value("char_order", 6);
    h.word_order = o.value("word_order", 0);
    h.beta = o.value("beta", 2);
    h.lowercase = o.value("lowercase", false);
    h.whitespace = o.value("whitespace", false);
    h.eps_smoothing = o.value("eps_smoothing", false);
    return std::make_unique<Chrf>(h);
  }
  TerOptions t;
  t.normalized = o.value("normalized", false);
  t.no_punct = o.value("no_punct", false);
  t.asian_support = o.value("asian_support", false);
  t.case_sensitive = o.value("case_sensitive", false);
  return std::make_unique<Ter>(t);
}

std::string without_version(const std::string& sig) {
  return sig.substr(0, sig.rfind("|version:"));
}

TEST(ScoreVectors, CorpusAndSentenceScoresMatchSacrebleu) {
  auto cases = read_jsonl("expected.jsonl");
  ASSERT_GT(cases.size(), 300u);
  ASSERT_EQ(cases[0]["sacrebleu_version"], "2.6.0");
  int checked = 0, sentences = 0;
  for (size_t ci = 1; ci < cases.size(); ++ci) {
    const auto& c = cases[ci];
    SCOPED_TRACE(c.dump().substr(0, 200));
    auto hyps = read_lines(c["hyp"]);
    RefStreams refs;
    for (const auto& r : c["refs"]) refs.push_back(read_lines(r));
    auto metric = make(c, false);
    Score s = metric->corpus_score(hyps, refs);
    EXPECT_NEAR(s.score, c["score"].get<double>(), kTol);
    EXPECT_EQ(without_version(metric->signature(static_cast<int>(refs.size()))),
              without_version(c["signature"]));
    if (c["metric"] == "bleu") {
      EXPECT_EQ(s.sys_len, c["sys_len"].get<int64_t>());
      EXPECT_EQ(s.ref_len, c["ref_len"].get<int64_t>());
      for (size_t n = 0; n < 4; ++n) {
        EXPECT_NEAR(s.counts[n], c["counts"][n].get<double>(), kTol);
        EXPECT_NEAR(s.totals[n], c["totals"][n].get<double>(), kTol);
      }
    }
    if (c.contains("sentence")) {
      auto sm = make(c, true);
      std::vector<double> stats = sm->corpus_stats(hyps, refs);
      const size_t k = sm->num_stats();
      ASSERT_EQ(c["sentence"].size(), hyps.size());
      for (size_t i = 0; i < hyps.size(); ++i) {
        double got = sm->score_from_stats(stats.data() + i * k).score;
        EXPECT_NEAR(got, c["sentence"][i].get<double>(), kTol) << "segment " << i + 1;
        ++sentences;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 300);
  EXPECT_GT(sentences, 5000);
}

TEST(ScoreVectors, EmptyHypothesisScoresZero) {
  // sacrebleu 2.6.0: BLEU().corpus_score([''], [['a b c']]).score == 0.0,
  // CHRF() gives 0.0 and TER() gives 100.0 for the same input.
  std::vector<std::string> hyps = {""};
  RefStreams refs = {{"a b c"}};
  EXPECT_EQ(corpus_bleu(hyps, refs).score, 0.0);
  EXPECT_EQ(corpus_chrf(hyps, refs).score, 0.0);
  EXPECT_EQ(corpus_ter(hyps, refs).score, 100.0);
}

TEST(ScoreVectors, TerNormalizesReferencesTwiceLikeSacrebleu) {
  // A random line from scripts/bench/score_compare.py (seed 2, line 221). sacrebleu 2.6.0:
  // TER(normalized=True).sentence_score(hyp, [ref]) -> 25.0 (5 edits, 20 reference words),
  // because references pass through the normaliser twice ("3.14's" -> "3.14 's").
  const std::string hyp =
      "cat\u2028~ 北京 → 。 ?\u00a0Haus ）\u00a0&quot;\u3000ÄÖÜ\u2028}\u30003.14's\u202f∑ カタカナ "
      "^ 〈 0 …";
  const std::string ref =
      "cat\u2028~ 北京 → 。 「 ?\u00a0Haus ）\u00a0&quot;\u3000ÄÖÜ\u2028}\u30003.14's\u202f∑ "
      "カタカナ 〉 〈 0 」";
  Ter ter(TerOptions{.normalized = true});
  std::vector<double> st(2);
  ter.segment_stats(hyp, {ref}, st.data());
  EXPECT_EQ(st[0], 5.0);
  EXPECT_EQ(st[1], 20.0);
  EXPECT_DOUBLE_EQ(ter.score_from_stats(st.data()).score, 25.0);
}

TEST(ScoreVectors, ParallelStatisticsEqualSerialOnes) {
  // 16 copies of a set run in parallel; every copy must give the serial statistics.
  auto hyps = read_lines("deu.hyp.txt");
  RefStreams refs = {read_lines("deu.ref.txt"), read_lines("deu.ref2.txt")};
  std::vector<std::string> big_hyps;
  RefStreams big_refs(2);
  for (int copy = 0; copy < 16; ++copy) {
    big_hyps.insert(big_hyps.end(), hyps.begin(), hyps.end());
    for (int r = 0; r < 2; ++r)
      big_refs[r].insert(big_refs[r].end(), refs[r].begin(), refs[r].end());
  }
  ChrfOptions chrf_pp;
  chrf_pp.word_order = 2;
  const Bleu bleu;
  const Chrf chrf(chrf_pp);
  const Ter ter;
  for (const Metric* m : std::vector<const Metric*>{&bleu, &chrf, &ter}) {
    auto small = m->corpus_stats(hyps, refs);
    auto big = m->corpus_stats(big_hyps, big_refs);
    ASSERT_EQ(big.size(), 16 * small.size());
    for (size_t i = 0; i < big.size(); ++i) ASSERT_EQ(big[i], small[i % small.size()]) << m->name();
  }
}

TEST(ScoreVectors, MismatchedStreamsAreAUserError) {
  std::vector<std::string> hyps = {"a", "b"};
  RefStreams refs = {{"a"}};
  EXPECT_THROW(corpus_bleu(hyps, refs), moemt::Error);
}

}  // namespace
}  // namespace moemt::eval
