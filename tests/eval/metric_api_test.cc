// The C++ API other modules use (corpus_bleu/corpus_chrf, sentence_score, signatures) on small
// inputs whose expected values were printed by sacrebleu 2.6.0 (commands in the comments).
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/score_format.h"
#include "eval/ter.h"

namespace moemt::eval {
namespace {

const std::string kHyp = "The cat sat on the mat.";
const std::vector<std::string_view> kRefs = {"The cat is on the mat.", "A cat sat on a mat."};

TEST(MetricApi, SentenceScoresWithTwoReferences) {
  // BLEU(effective_order=True).sentence_score(hyp, refs).score -> 62.23329772884783
  BleuOptions b;
  b.effective_order = true;
  EXPECT_NEAR(Bleu(b).sentence_score(kHyp, kRefs).score, 62.23329772884783, 1e-9);
  // CHRF(word_order=2).sentence_score(hyp, refs).score -> 69.43695278069349
  ChrfOptions c;
  c.word_order = 2;
  EXPECT_NEAR(Chrf(c).sentence_score(kHyp, kRefs).score, 69.43695278069349, 1e-9);
  // TER().sentence_score(hyp, refs).score -> 16.666666666666664
  EXPECT_NEAR(Ter().sentence_score(kHyp, kRefs).score, 16.666666666666664, 1e-9);
}

TEST(MetricApi, SignaturesAndNames) {
  // BLEU(smooth_method='floor'/'add-k', smooth_value=2).get_signature() after scoring.
  BleuOptions b;
  b.smooth = BleuSmooth::kFloor;
  EXPECT_EQ(Bleu(b).signature_fields(), "case:mixed|eff:no|tok:13a|smooth:floor[0.10]");
  b.smooth = BleuSmooth::kAddK;
  b.smooth_value = 2;
  EXPECT_EQ(Bleu(b).signature(1).substr(0, 53),
            "nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[2.00]|");
  EXPECT_NE(Bleu().signature(1).find("|version:moemt-"), std::string::npos);
  // CHRF(word_order=2, beta=3) scores are named chrF3++.
  ChrfOptions c;
  c.word_order = 2;
  c.beta = 3;
  EXPECT_EQ(Chrf(c).name(), "chrF3++");
}

TEST(MetricApi, TextLineFormat) {
  Score s;
  s.name = "chrF2";
  s.score = 72.5549;
  EXPECT_EQ(format_score_text(s, 2, "nrefs:1"), "chrF2|nrefs:1 = 72.55");
  EXPECT_EQ(format_score_text(s, 1, ""), "chrF2 = 72.6");
}

TEST(MetricApi, InvalidUtf8IsAUserError) {
  std::vector<std::string> hyps = {"ok", "bad \xC3("};
  RefStreams refs = {{"ok", "fine"}};
  EXPECT_THROW(corpus_bleu(hyps, refs), moemt::Error);
  EXPECT_THROW(corpus_chrf(hyps, refs), moemt::Error);
}

TEST(MetricApi, OptionsOutOfRangeAreUserErrors) {
  ChrfOptions c;
  c.char_order = 7;
  EXPECT_THROW(Chrf{c}, moemt::Error);
  BleuOptions b;
  b.tokenize = "ja-mecab";
  EXPECT_THROW(Bleu{b}, moemt::Error);
  EXPECT_THROW(parse_bleu_smooth("expo"), moemt::Error);
}

}  // namespace
}  // namespace moemt::eval
