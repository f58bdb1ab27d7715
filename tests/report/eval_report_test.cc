// EvalReport on hand-made scores: averages per group and family/branch, JSON round trip,
// Markdown rows, --compare deltas; and per-direction scoring (tokenizer choice, stripping).
#include "report/eval_report.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/bleu.h"
#include "report/evaluator.h"

namespace moemt::report {
namespace {

DirectionResult res(const std::string& s, const std::string& t, DirectionKind k, double bleu,
                    double chrf) {
  DirectionResult r;
  r.dir = {s, t, k};
  r.n = 10;
  r.bleu = bleu;
  r.chrf = chrf;
  r.bleu_signature = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:x";
  r.chrf_signature = "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:x";
  r.seconds = 2.0;
  return r;
}

EvalReport sample_report() {
  EvalReport r;
  r.model_dir = "m";
  r.set_dir = "corpora/sample";
  r.split = "devtest";
  r.sentences = 10;
  r.seconds = 12;
  r.settings = {{"beam_size", 4}};
  using K = DirectionKind;
  r.directions = {
      res("eng_Latn", "deu_Latn", K::kEnX, 30, 60), res("eng_Latn", "fra_Latn", K::kEnX, 20, 50),
      res("eng_Latn", "spa_Latn", K::kEnX, 10, 40), res("eng_Latn", "fin_Latn", K::kEnX, 20, 50),
      res("deu_Latn", "eng_Latn", K::kXEn, 40, 70), res("fra_Latn", "eng_Latn", K::kXEn, 36, 66),
      res("deu_Latn", "fra_Latn", K::kXY, 5, 25)};
  return r;
}

const Average* find(const std::vector<Average>& v, const std::string& name) {
  for (const auto& a : v)
    if (a.name == name) return &a;
  return nullptr;
}

TEST(Averages, GroupsFamiliesAndBranches) {
  auto avg = averages(sample_report());
  const Average* all = find(avg, "all");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->directions, 7);
  EXPECT_NEAR(all->bleu, (30 + 20 + 10 + 20 + 40 + 36 + 5) / 7.0, 1e-12);
  const Average* enx = find(avg, "en→X");
  ASSERT_TRUE(enx);
  EXPECT_EQ(enx->directions, 4);
  EXPECT_NEAR(enx->bleu, 20.0, 1e-12);
  EXPECT_NEAR(enx->chrf, 50.0, 1e-12);
  const Average* xen = find(avg, "X→en");
  ASSERT_TRUE(xen);
  EXPECT_NEAR(xen->bleu, 38.0, 1e-12);
  EXPECT_NEAR(find(avg, "X→Y")->chrf, 25.0, 1e-12);
  // en->X targets span two families (Indo-European, Uralic), and Indo-European spans
  // Germanic and Romance: family rows and that family's branch rows appear.
  const Average* romance = find(avg, "en→X · Indo-European/Romance");
  ASSERT_TRUE(romance);
  EXPECT_EQ(romance->directions, 2);
  EXPECT_NEAR(romance->bleu, 15.0, 1e-12);
  ASSERT_TRUE(find(avg, "en→X · Indo-European"));
  EXPECT_NEAR(find(avg, "en→X · Indo-European")->bleu, 20.0, 1e-12);
  EXPECT_EQ(find(avg, "en→X · Indo-European")->directions, 3);
  ASSERT_TRUE(find(avg, "en→X · Uralic"));
  EXPECT_EQ(find(avg, "en→X · Uralic")->directions, 1);
  EXPECT_FALSE(find(avg, "en→X · Uralic/Finnic"));  // one branch: no branch row
  // X->en groups by the source side: one family (no family row), two branches.
  EXPECT_FALSE(find(avg, "X→en · Indo-European"));
  ASSERT_TRUE(find(avg, "X→en · Indo-European/Germanic"));
  EXPECT_NEAR(find(avg, "X→en · Indo-European/Germanic")->bleu, 40.0, 1e-12);
  // X->Y: one target family with one branch, so only the group row.
  EXPECT_FALSE(find(avg, "X→Y · Indo-European"));
  EXPECT_FALSE(find(avg, "X→Y · Indo-European/Romance"));
  // Order: all, then each group followed by its breakdown.
  EXPECT_EQ(avg[0].name, "all");
  EXPECT_EQ(avg[1].name, "en→X");
}

TEST(ReportJson, RoundTripsAndCarriesAverages) {
  auto r = sample_report();
  auto j = to_json(r);
  EXPECT_EQ(j["directions"].size(), 7u);
  EXPECT_EQ(j["directions"][0]["src"], "eng_Latn");
  EXPECT_EQ(j["directions"][0]["kind"], "en-x");
  EXPECT_DOUBLE_EQ(j["directions"][0]["chrf++"].get<double>(), 60.0);
  EXPECT_EQ(j["directions"][0]["signatures"]["bleu"], r.directions[0].bleu_signature);
  EXPECT_EQ(j["averages"][0]["name"], "all");
  auto back = report_from_json(nlohmann::json::parse(j.dump()), "r.json");
  ASSERT_EQ(back.directions.size(), r.directions.size());
  for (size_t i = 0; i < r.directions.size(); ++i) {
    EXPECT_EQ(back.directions[i].dir, r.directions[i].dir);
    EXPECT_DOUBLE_EQ(back.directions[i].bleu, r.directions[i].bleu);
    EXPECT_EQ(back.directions[i].chrf_signature, r.directions[i].chrf_signature);
  }
  EXPECT_EQ(back.split, "devtest");
  EXPECT_EQ(back.settings["beam_size"], 4);
}

TEST(ReportJson, RejectsOtherFiles) {
  EXPECT_THROW(report_from_json(nlohmann::json{{"model", "m"}}, "x.json"), Error);
  auto j = to_json(sample_report());
  j["directions"][1]["bleu"] = "high";
  try {
    report_from_json(j, "x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: field 'bleu'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_report("/nonexistent/report.json"), Error);
}

TEST(ReportMarkdown, OneRowPerDirectionThenAverages) {
  auto md = to_markdown(sample_report());
  EXPECT_NE(md.find("| eng_Latn-deu_Latn | 30.00 | 60.00 | 10 | 5.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| deu_Latn-fra_Latn | 5.00 | 25.00 | 10 | 5.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| en→X | 4 | 20.00 | 50.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| X→en | 2 | 38.00 | 68.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("`BLEU|nrefs:1|case:mixed|eff:no|tok:13a"), std::string::npos) << md;
}

TEST(Compare, DeltasPerDirectionAndAverage) {
  auto a = sample_report(), b = sample_report();
  b.directions[0].bleu = 25;  // eng-deu: this 30, other 25
  b.directions[4].chrf = 72;  // deu-eng chrF++: this 70, other 72
  auto c = compare(a, b);
  EXPECT_TRUE(c.only_self.empty());
  EXPECT_TRUE(c.only_other.empty());
  EXPECT_TRUE(c.signature_mismatch.empty());
  auto get = [&](const std::string& row, const std::string& metric) -> const Delta* {
    for (const auto& d : c.deltas)
      if (d.row == row && d.metric == metric) return &d;
    return nullptr;
  };
  ASSERT_TRUE(get("eng_Latn-deu_Latn", "BLEU"));
  EXPECT_DOUBLE_EQ(get("eng_Latn-deu_Latn", "BLEU")->delta(), 5.0);
  EXPECT_DOUBLE_EQ(get("deu_Latn-eng_Latn", "chrF++")->delta(), -2.0);
  EXPECT_DOUBLE_EQ(get("eng_Latn-fra_Latn", "BLEU")->delta(), 0.0);
  EXPECT_NEAR(get("en→X", "BLEU")->delta(), 5.0 / 4.0, 1e-12);
  auto md = comparison_markdown(c);
  EXPECT_NE(md.find("| eng_Latn-deu_Latn | BLEU | 30.00 | 25.00 | +5.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| deu_Latn-eng_Latn | chrF++ | 70.00 | 72.00 | -2.00 |"), std::string::npos)
      << md;
}

TEST(Compare, DifferentDirectionSetsSkipAveragesAndFlagSettings) {
  auto a = sample_report(), b = sample_report();
  b.directions.pop_back();  // other lacks deu-fra
  b.directions[0].n = 20;
  auto c = compare(a, b);
  EXPECT_EQ(c.only_self, std::vector<std::string>{"deu_Latn-fra_Latn"});
  EXPECT_EQ(c.signature_mismatch, std::vector<std::string>{"eng_Latn-deu_Latn"});
  for (const auto& d : c.deltas) EXPECT_NE(d.row, "all");
  EXPECT_EQ(c.deltas.size(), 12u);  // 6 shared directions x 2 metrics
  auto j = comparison_json(c, "old.json");
  EXPECT_EQ(j["other"], "old.json");
  EXPECT_EQ(j["deltas"].size(), 12u);
  EXPECT_EQ(j["only_this"], nlohmann::json::array({"deu_Latn-fra_Latn"}));
  EXPECT_EQ(j["settings_differ"], nlohmann::json::array({"eng_Latn-deu_Latn"}));
  EXPECT_EQ(j["deltas"][0]["row"], "eng_Latn-deu_Latn");
  EXPECT_DOUBLE_EQ(j["deltas"][0]["delta"].get<double>(), 0.0);
}

TEST(ScoreDirection, UsesCharTokensForJapaneseAndStripsLikeFiles) {
  std::vector<std::string> refs = {"今日は良い天気です。", "猫が好きです。"};
  std::vector<std::string> hyps = {"今日は良い天気だ。  ", "犬が好きです。\n"};
  auto r = score_direction({"eng_Latn", "jpn_Jpan", DirectionKind::kEnX}, hyps, refs);
  EXPECT_EQ(hyps[0], "今日は良い天気だ。");  // trailing whitespace stripped as sacrebleu does
  EXPECT_EQ(hyps[1], "犬が好きです。");
  EXPECT_NE(r.bleu_signature.find("tok:char"), std::string::npos) << r.bleu_signature;
  EXPECT_NE(r.chrf_signature.find("nw:2"), std::string::npos) << r.chrf_signature;
  // With 13a each sentence is one or two "words", so BLEU would be ~0; characters match a lot.
  double as_13a = eval::corpus_bleu(hyps, {refs}, {}).score;
  EXPECT_LT(as_13a, 10.0);
  EXPECT_GT(r.bleu, 40.0);
  eval::BleuOptions char_tok;
  char_tok.tokenize = "char";
  EXPECT_DOUBLE_EQ(r.bleu, eval::corpus_bleu(hyps, {refs}, char_tok).score);
  EXPECT_EQ(r.n, 2);
}

}  // namespace
}  // namespace moemt::report
