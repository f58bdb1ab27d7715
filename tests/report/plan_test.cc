// Direction planning of `moemt eval`: spec parsing, en-x/x-en/x-y expansion over the languages
// the model and the set share, seeded X->Y sampling, and the errors users see.
#include "report/plan.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"

namespace moemt::report {
namespace {

const std::vector<std::string> kModel = {"eng_Latn", "deu_Latn", "fra_Latn", "spa_Latn",
                                         "rus_Cyrl"};
const std::vector<std::string> kSet = {"deu_Latn", "eng_Latn", "fra_Latn",
                                       "rus_Cyrl", "spa_Latn", "ita_Latn"};

std::vector<std::string> keys(const std::vector<Direction>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.src + ">" + d.tgt + ":" + kind_name(d.kind));
  return out;
}

TEST(DirectionSpec, ParsesFamiliesAndPairs) {
  auto s = parse_direction_spec("en-x, X-EN,de-fr,deu_Latn-spa_Latn");
  EXPECT_TRUE(s.en_x);
  EXPECT_TRUE(s.x_en);
  EXPECT_FALSE(s.x_y);
  ASSERT_EQ(s.pairs.size(), 2u);
  EXPECT_EQ(s.pairs[0], std::make_pair(std::string("deu_Latn"), std::string("fra_Latn")));
  EXPECT_EQ(s.pairs[1], std::make_pair(std::string("deu_Latn"), std::string("spa_Latn")));
  auto all = parse_direction_spec("all");
  EXPECT_TRUE(all.en_x && all.x_en && all.x_y);
}

TEST(DirectionSpec, RejectsUnknownEntries) {
  EXPECT_THROW(parse_direction_spec("en-x,x-z"), Error);
  EXPECT_THROW(parse_direction_spec("de-xx"), Error);
  EXPECT_THROW(parse_direction_spec("de-de"), Error);
  EXPECT_THROW(parse_direction_spec(" , "), Error);
  try {
    parse_direction_spec("en-x,bogus");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'bogus'"), std::string::npos) << e.what();
  }
}

TEST(PlanDirections, EnXAndXEnFollowModelOrderAndSkipLanguagesNotInBoth) {
  DirectionSpec s{true, true, false, {}};
  auto d = plan_directions(s, kModel, kSet, 0, 1);
  std::vector<std::string> want = {"eng_Latn>deu_Latn:en-x", "eng_Latn>fra_Latn:en-x",
                                   "eng_Latn>spa_Latn:en-x", "eng_Latn>rus_Cyrl:en-x",
                                   "deu_Latn>eng_Latn:x-en", "fra_Latn>eng_Latn:x-en",
                                   "spa_Latn>eng_Latn:x-en", "rus_Cyrl>eng_Latn:x-en"};
  EXPECT_EQ(keys(d), want);  // ita_Latn is only in the set: not planned
  // A model language missing from the set is skipped, not an error.
  auto d2 = plan_directions(s, kModel, {"eng_Latn", "deu_Latn"}, 0, 1);
  EXPECT_EQ(keys(d2),
            (std::vector<std::string>{"eng_Latn>deu_Latn:en-x", "deu_Latn>eng_Latn:x-en"}));
}

TEST(PlanDirections, AllXYPairsExcludeEnglish) {
  DirectionSpec s{false, false, true, {}};
  auto d = plan_directions(s, kModel, kSet, 0, 1);
  EXPECT_EQ(d.size(), 12u);  // 4 non-English languages, ordered pairs
  std::set<std::string> uniq;
  for (const auto& x : d) {
    EXPECT_NE(x.src, x.tgt);
    EXPECT_NE(x.src, "eng_Latn");
    EXPECT_NE(x.tgt, "eng_Latn");
    EXPECT_EQ(x.kind, DirectionKind::kXY);
    uniq.insert(x.src + x.tgt);
  }
  EXPECT_EQ(uniq.size(), 12u);
}

TEST(PlanDirections, XYSampleIsDeterministicPerSeedAndASubset) {
  DirectionSpec s{false, false, true, {}};
  auto all = keys(plan_directions(s, kModel, kSet, 0, 1));
  auto a = keys(plan_directions(s, kModel, kSet, 5, 42));
  auto b = keys(plan_directions(s, kModel, kSet, 5, 42));
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(a, b);
  for (const auto& k : a) EXPECT_NE(std::find(all.begin(), all.end(), k), all.end()) << k;
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  // Different seeds draw different samples for at least one of several seeds.
  bool differs = false;
  for (uint64_t seed = 1; seed < 6; ++seed)
    differs |= keys(plan_directions(s, kModel, kSet, 5, seed)) != a;
  EXPECT_TRUE(differs);
  // A sample at least as large as the population is the whole population.
  EXPECT_EQ(keys(plan_directions(s, kModel, kSet, 100, 3)), all);
}

TEST(PlanDirections, ExplicitPairsAreClassifiedAndDeduplicated) {
  DirectionSpec s{true,
                  false,
                  false,
                  {{"eng_Latn", "deu_Latn"}, {"fra_Latn", "eng_Latn"}, {"deu_Latn", "rus_Cyrl"}}};
  auto d = plan_directions(s, kModel, kSet, 0, 1);
  ASSERT_EQ(d.size(), 6u);  // 4 en-x (one of them named twice) + 2 pairs
  EXPECT_EQ(keys(d)[4], "fra_Latn>eng_Latn:x-en");
  EXPECT_EQ(keys(d)[5], "deu_Latn>rus_Cyrl:x-y");
}

TEST(PlanDirections, ErrorsListWhatIsMissing) {
  DirectionSpec pair{false, false, false, {{"deu_Latn", "ita_Latn"}}};
  try {
    plan_directions(pair, kModel, kSet, 0, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ita_Latn (model)"), std::string::npos) << e.what();
  }
  DirectionSpec enx{true, false, false, {}};
  EXPECT_THROW(plan_directions(enx, kModel, {"deu_Latn", "fra_Latn"}, 0, 1), Error);
  EXPECT_THROW(plan_directions(enx, {"eng_Latn", "jpn_Jpan"}, kSet, 0, 1), Error);
}

TEST(BleuTokenizer, CharForJapaneseChineseKorean) {
  EXPECT_EQ(bleu_tokenizer_for("jpn_Jpan"), "char");
  EXPECT_EQ(bleu_tokenizer_for("zho_Hans"), "char");
  EXPECT_EQ(bleu_tokenizer_for("kor_Hang"), "char");
  EXPECT_EQ(bleu_tokenizer_for("deu_Latn"), "13a");
}

}  // namespace
}  // namespace moemt::report
