// Expert-usage report: shares per language and expert, balance figures, Markdown rows and the
// HTML heatmap's shading, from hand-made routing sums.
#include "report/expert_usage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace moemt::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Encoder layer, 4 experts, top-2: language 0 sends its 6 slots to experts 0 and 1, language 1
// its 2 slots to expert 2; expert 3 gets nothing. Decoder layer: one language, even usage.
moe::RoutingStats sample_stats() {
  nlohmann::json j = {
      {"encoder.layers.1.moe",
       {{"num_experts", 4}, {"k", 2}, {"calls", 1}, {"tokens", 4}, {"slots", 8},
        {"dropped", 1}, {"entropy_sum", 2.0}, {"routed", {3, 3, 2, 0}}, {"kept", {3, 2, 2, 0}},
        {"importance", {1.5, 1.5, 1.0, 0.0}},
        {"lang_routed", {{"0", {3, 3, 0, 0}}, {"1", {0, 0, 2, 0}}}}}},
      {"decoder.layers.1.moe",
       {{"num_experts", 2}, {"k", 1}, {"calls", 1}, {"tokens", 4}, {"slots", 4}, {"dropped", 0},
        {"entropy_sum", 0.0}, {"routed", {2, 2}}, {"kept", {2, 2}}, {"importance", {2.0, 2.0}},
        {"lang_routed", {{"1", {2, 2}}}}}}};
  return moe::RoutingStats::from_state(j);
}

TEST(ExpertUsage, SharesSumToOneOrAreZero) {
  EXPECT_THAT(expert_shares({3, 1, 0, 0}), ::testing::ElementsAre(0.75, 0.25, 0.0, 0.0));
  EXPECT_THAT(expert_shares({0, 0}), ::testing::ElementsAre(0.0, 0.0));
}

TEST(ExpertUsage, MarkdownRowsPerLanguageWithBalanceFigures) {
  const std::string md = expert_usage_markdown(sample_stats(), {"deu_Latn", "eng_Latn"});
  EXPECT_THAT(md, HasSubstr("### encoder.layers.1.moe (by source language)"));
  EXPECT_THAT(md, HasSubstr("### decoder.layers.1.moe (by target language)"));
  EXPECT_THAT(md, HasSubstr("| language | tokens | e0 | e1 | e2 | e3 |"));
  // Tokens = slots / k; shares in % of that language's slots.
  EXPECT_THAT(md, HasSubstr("| all | 4 | 37.5 | 37.5 | 25.0 | 0.0 |"));
  EXPECT_THAT(md, HasSubstr("| deu_Latn | 3 | 50.0 | 50.0 | 0.0 | 0.0 |"));
  EXPECT_THAT(md, HasSubstr("| eng_Latn | 1 | 0.0 | 0.0 | 100.0 | 0.0 |"));
  EXPECT_THAT(md, HasSubstr("dropped 12.5 %"));
  EXPECT_THAT(md, HasSubstr("dead experts: 3"));
  EXPECT_THAT(md, HasSubstr("| eng_Latn | 4 | 50.0 | 50.0 |"));  // the decoder layer
  EXPECT_LT(md.find("### encoder."), md.find("### decoder."));  // encoder first
  // Unknown ids are labelled rather than dropped.
  EXPECT_THAT(expert_usage_markdown(sample_stats(), {}), HasSubstr("| lang 1 | 1 |"));
}

TEST(ExpertUsage, HtmlShadesRelativeToAnEvenSplitAndEscapes) {
  const std::string html = expert_usage_html(sample_stats(), {"deu_Latn", "eng<b>"}, "a & b");
  EXPECT_THAT(html, HasSubstr("<title>a &amp; b</title>"));
  EXPECT_THAT(html, HasSubstr("eng&lt;b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("eng<b>")));
  // 4 experts: an even share is 25 %; 100 % is full colour, 25 % half, 0 % none.
  EXPECT_THAT(html, HasSubstr("rgba(31, 90, 180, 1.000); color: #fff\">100.0</td>"));
  EXPECT_THAT(html, HasSubstr("rgba(31, 90, 180, 0.500); color: #000\">25.0</td>"));
  EXPECT_THAT(html, HasSubstr("rgba(31, 90, 180, 0.000); color: #000\">0.0</td>"));
  EXPECT_THAT(html, HasSubstr("</html>"));
}

}  // namespace
}  // namespace moemt::report
