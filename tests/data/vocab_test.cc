// Tests for the joint sentencepiece vocabulary: determinism, no <unk>, tags, serialisation.
#include "data/vocab.h"

#include <algorithm>
#include <filesystem>

#include "data/text.h"
#include "fixtures.h"

namespace moemt::data {
namespace {

using testing::error_of;
using testing::fixture;
using ::testing::HasSubstr;

std::map<std::string, std::vector<std::string>> tiny_corpus() {
  return {{"eng_Latn", read_lines(fixture("train.eng_Latn"))},
          {"deu_Latn", read_lines(fixture("train.deu_Latn"))},
          {"spa_Latn", read_lines(fixture("train.spa_Latn"))}};
}

VocabTrainOptions tiny_options() {
  VocabTrainOptions o;
  o.vocab_size = 400;
  o.seed = 7;
  o.max_sentences = 200;
  return o;
}

// Training is the slow part (~1 s); share one model across tests.
const Vocab& shared_vocab() {
  static const Vocab v = Vocab::train(tiny_corpus(), tiny_options());
  return v;
}

TEST(Vocab, SpecialIdsAreFixed) {
  const Vocab& v = shared_vocab();
  EXPECT_EQ(v.pad_id(), 0);
  EXPECT_EQ(v.unk_id(), 1);
  EXPECT_EQ(v.bos_id(), 2);
  EXPECT_EQ(v.eos_id(), 3);
  EXPECT_EQ(v.piece(0), "<pad>");
  EXPECT_GT(v.size(), 256 + 4 + 3);  // bytes + specials + tags at least
  EXPECT_LE(v.size(), 400);
}

TEST(Vocab, TrainingIsDeterministic) {
  const Vocab again = Vocab::train(tiny_corpus(), tiny_options());
  EXPECT_EQ(again.serialized(), shared_vocab().serialized());
  // With a sample smaller than the data the seed matters, and still reproduces exactly.
  VocabTrainOptions o = tiny_options();
  o.max_sentences = 50;
  const Vocab a = Vocab::train(tiny_corpus(), o), b = Vocab::train(tiny_corpus(), o);
  EXPECT_EQ(a.serialized(), b.serialized());
  const auto corpus = tiny_corpus();
  EXPECT_NE(balanced_sample(corpus, 5.0, 50, 7), balanced_sample(corpus, 5.0, 50, 8));
}

TEST(Vocab, NoUnknownForRareAndUnseenCharacters) {
  const Vocab& v = shared_vocab();
  for (const char* text : {"¿Dónde está la estación? ¡Hola!", "Grüße aus Köln: 42 €",
                           "Ωμέγα и кириллица 早上好 😀", "ℵ ∑ ∂"}) {
    const auto ids = v.encode(text);
    ASSERT_FALSE(ids.empty());
    for (int32_t id : ids) EXPECT_NE(id, v.unk_id()) << text;
  }
  // Unseen characters come back intact through byte pieces.
  EXPECT_EQ(v.decode(v.encode("早上好 😀")), "早上好 😀");
  EXPECT_EQ(v.decode(v.encode("¿Dónde está? ¡Hola!")), "¿Dónde está? ¡Hola!");
}

TEST(Vocab, InvertedPunctuationIsASeenPiece) {
  // ¿ and ¡ occur in the Spanish sample, so coverage 1.0 must keep them as real pieces
  // (not byte pieces): this is what the default coverage 0.9995 would lose.
  const Vocab& v = shared_vocab();
  for (const char* text : {"¿", "¡"}) {
    const auto pieces = v.encode_pieces(text);
    const bool whole = std::any_of(pieces.begin(), pieces.end(), [&](const std::string& p) {
      return p.find(text) != std::string::npos;
    });
    EXPECT_TRUE(whole) << text;
  }
}

TEST(Vocab, TagsAreSinglePieces) {
  const Vocab& v = shared_vocab();
  EXPECT_EQ(v.tag_langs(), (std::vector<std::string>{"deu_Latn", "eng_Latn", "spa_Latn"}));
  const int32_t deu = v.tag_id("deu_Latn");
  EXPECT_EQ(v.piece(deu), "<2deu_Latn>");
  // The tag written in text is one piece (user-defined symbols are matched whole).
  const auto ids = v.encode("<2deu_Latn>");
  EXPECT_THAT(ids, ::testing::Contains(deu));
  EXPECT_LE(ids.size(), 2u);  // at most a leading '▁' plus the tag
  // decode() drops tags and specials.
  std::vector<int32_t> seq = {v.bos_id(), deu};
  for (int32_t id : v.encode("Hallo Welt")) seq.push_back(id);
  seq.push_back(v.eos_id());
  seq.push_back(v.pad_id());
  EXPECT_EQ(v.decode(seq), "Hallo Welt");
}

TEST(Vocab, UnknownTagListsAvailable) {
  const std::string msg = error_of([] { shared_vocab().tag_id("fra_Latn"); });
  EXPECT_THAT(msg, HasSubstr("fra_Latn"));
  EXPECT_THAT(msg, HasSubstr("deu_Latn, eng_Latn, spa_Latn"));
  EXPECT_FALSE(shared_vocab().has_tag("fra_Latn"));
}

TEST(Vocab, ExtraLanguagesGetTags) {
  VocabTrainOptions o = tiny_options();
  o.extra_langs = {"fra_Latn"};
  o.user_defined_symbols = {"<sep>"};
  const Vocab v = Vocab::train(tiny_corpus(), o);
  EXPECT_TRUE(v.has_tag("fra_Latn"));
  EXPECT_EQ(v.tag_langs().size(), 4u);
}

TEST(Vocab, SerializeRoundTripAndFile) {
  const Vocab& v = shared_vocab();
  const Vocab copy = Vocab::from_serialized(v.serialized());
  const std::string text = "Die Kinder spielen im Garten.";
  EXPECT_EQ(copy.encode(text), v.encode(text));
  const std::string path =
      (std::filesystem::temp_directory_path() / "moemt_data_test_vocab.spm").string();
  v.save(path);
  const Vocab loaded = Vocab::load(path);
  EXPECT_EQ(loaded.serialized(), v.serialized());
  EXPECT_EQ(loaded.decode(loaded.encode(text)), text);
  std::filesystem::remove(path);
}

TEST(Vocab, LoadErrorsNameTheFile) {
  EXPECT_THAT(error_of([] { Vocab::load("/nonexistent/vocab.spm"); }),
              HasSubstr("/nonexistent/vocab.spm"));
  const std::string bad = testing::temp_file("bad.spm", "not a model");
  EXPECT_THAT(error_of([&] { Vocab::load(bad); }), HasSubstr(bad));
}

TEST(Vocab, TrainFromExamplesUsesBothSidesOnce) {
  // eng-deu, eng-spa and the reverse of eng-spa: English appears three times per sentence.
  std::vector<Example> ex;
  const auto en = read_lines(fixture("train.eng_Latn"));
  const auto de = read_lines(fixture("train.deu_Latn"));
  const auto es = read_lines(fixture("train.spa_Latn"));
  for (size_t i = 0; i < en.size(); ++i) {
    ex.push_back({en[i], de[i], "eng_Latn", "deu_Latn"});
    ex.push_back({en[i], es[i], "eng_Latn", "spa_Latn"});
    ex.push_back({es[i], en[i], "spa_Latn", "eng_Latn", 0, 0, true});
  }
  // Same model as training on the three unique monolingual sides.
  const Vocab v = Vocab::train(ex, tiny_options());
  EXPECT_EQ(v.serialized(), shared_vocab().serialized());
}

TEST(Vocab, AutoCoverage) {
  EXPECT_EQ(auto_character_coverage({"Hello", "¿Qué?"}), 1.0);
  const auto zh = read_lines(fixture("tiny.zho_Hans"));
  EXPECT_EQ(auto_character_coverage({"Hello", zh[0]}), 0.9995);
  EXPECT_EQ(auto_character_coverage({"こんにちは"}), 0.9995);
  EXPECT_EQ(auto_character_coverage({"안녕하세요"}), 0.9995);
}

TEST(Vocab, CjkTrainingKeepsEveryCharacter) {
  auto corpus = tiny_corpus();
  corpus["zho_Hans"] = read_lines(fixture("tiny.zho_Hans"));
  VocabTrainOptions o = tiny_options();
  const Vocab v = Vocab::train(corpus, o);
  EXPECT_TRUE(v.has_tag("zho_Hans"));
  for (const char* text : {"今天天气很好。", "我们下周再见。"}) {  // the second is unseen
    const auto ids = v.encode(text);
    for (int32_t id : ids) EXPECT_NE(id, v.unk_id()) << text;
    EXPECT_EQ(v.decode(ids), text);
  }
}

TEST(Vocab, BadOptionsAreErrors) {
  VocabTrainOptions o = tiny_options();
  o.vocab_size = 0;
  EXPECT_THAT(error_of([&] { Vocab::train(tiny_corpus(), o); }), HasSubstr("--vocab-size"));
  EXPECT_THAT(error_of([] {
                Vocab::train(std::map<std::string, std::vector<std::string>>{}, tiny_options());
              }),
              HasSubstr("no training text"));
}

TEST(BalancedSample, TemperatureFlattensLanguageShares) {
  std::map<std::string, std::vector<std::string>> texts;
  texts["big"] = std::vector<std::string>(900, "b");
  texts["small"] = std::vector<std::string>(100, "s");
  auto count_small = [](const std::vector<std::string_view>& v) {
    return std::count(v.begin(), v.end(), std::string_view("s"));
  };
  // T=1: proportional (100 of 1000).
  EXPECT_EQ(count_small(balanced_sample(texts, 1.0, 1000, 1)), 100);
  // T=5: shares ~ 900^0.2 : 100^0.2 = 3.898 : 2.512 -> small gets round(1000*0.3919) = 392.
  const auto s5 = balanced_sample(texts, 5.0, 1000, 1);
  EXPECT_EQ(s5.size(), 1000u);
  EXPECT_EQ(count_small(s5), 392);
  EXPECT_EQ(balanced_sample(texts, 5.0, 1000, 1), s5);  // same seed, same sample
}

}  // namespace
}  // namespace moemt::data
