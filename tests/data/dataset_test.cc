// Tests for prepare_dataset: sources -> vocabulary -> samples in one call.
#include "data/dataset.h"

#include "fixtures.h"

namespace moemt::data {
namespace {

using testing::error_of;
using testing::fixture;
using ::testing::HasSubstr;

int32_t index_of(std::string_view l) {
  if (l == "eng_Latn") return 0;
  if (l == "deu_Latn") return 1;
  if (l == "spa_Latn") return 2;
  throw Error("unknown language '{}'", l);
}

DatasetOptions two_pairs() {
  DatasetOptions o;
  o.pairs = {{fixture("train.eng_Latn"), fixture("train.deu_Latn"), "", ""},
             {fixture("train.eng_Latn"), fixture("train.spa_Latn"), "", ""}};
  o.load.both_directions = true;
  o.vocab.vocab_size = 400;
  return o;
}

TEST(Dataset, TrainsVocabularyAndTokenises) {
  const Dataset d = prepare_dataset(two_pairs(), index_of);
  ASSERT_EQ(d.samples.size(), 120u);
  EXPECT_EQ(d.stats.read, 60);
  EXPECT_EQ(d.pair_counts.at({"eng_Latn", "spa_Latn"}), 30);
  EXPECT_EQ(d.pair_counts.at({"spa_Latn", "eng_Latn"}), 30);
  EXPECT_EQ(d.vocab.tag_langs(), (std::vector<std::string>{"deu_Latn", "eng_Latn", "spa_Latn"}));
  // Sample 1 is the reverse of sample 0: deu -> eng.
  EXPECT_EQ(d.samples[1].src.front(), d.vocab.tag_id("eng_Latn"));
  EXPECT_EQ(d.samples[1].src_lang, 1);
  EXPECT_EQ(d.samples[1].tgt_lang, 0);
  EXPECT_EQ(d.vocab.decode(d.samples[60].tgt), "Hoy hace buen tiempo.");
}

TEST(Dataset, ReusesGivenVocabulary) {
  const Dataset first = prepare_dataset(two_pairs(), index_of);
  DatasetOptions o = two_pairs();
  o.vocab.vocab_size = 300;  // ignored: the existing model is used
  const Dataset again = prepare_dataset(o, index_of, &first.vocab);
  EXPECT_EQ(again.vocab.serialized(), first.vocab.serialized());
  EXPECT_EQ(again.samples[5].src, first.samples[5].src);
}

TEST(Dataset, ErrorsPropagate) {
  EXPECT_THAT(error_of([] { prepare_dataset({}, index_of); }), HasSubstr("no training data"));
  DatasetOptions o = two_pairs();
  o.vocab_path = "/nonexistent/vocab.spm";
  EXPECT_THAT(error_of([&] { prepare_dataset(o, index_of); }), HasSubstr("/nonexistent/vocab.spm"));
}

}  // namespace
}  // namespace moemt::data
