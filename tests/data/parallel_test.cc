// Tests for loading parallel text from file pairs and TSV files, including bad input.
#include "data/parallel.h"

#include "fixtures.h"

namespace moemt::data {
namespace {

using testing::error_of;
using testing::fixture;
using ::testing::HasSubstr;
using testing::temp_file;

TEST(LangFromPath, Codes) {
  EXPECT_EQ(lang_from_path("corpus/train.eng_Latn"), "eng_Latn");
  EXPECT_EQ(lang_from_path("x/news.de"), "de");
  EXPECT_EQ(lang_from_path("news.deu"), "deu");
  EXPECT_EQ(lang_from_path("dev.zho_Hans"), "zho_Hans");
  EXPECT_EQ(lang_from_path("train.txt.en"), "en");
  EXPECT_EQ(lang_from_path("train.txt"), "");  // common extensions are not languages
  EXPECT_EQ(lang_from_path("train.src"), "");
  EXPECT_EQ(lang_from_path("train"), "");
  EXPECT_EQ(lang_from_path("train.eng_latn"), "");
  EXPECT_EQ(lang_from_path("train.English"), "");
  EXPECT_EQ(lang_from_path("dir.de/train"), "");
  // FLORES layout: the language is the stem and the split the extension.
  EXPECT_EQ(lang_from_path("flores200/dev/eng_Latn.dev"), "eng_Latn");
  EXPECT_EQ(lang_from_path("x/deu_Latn.devtest"), "deu_Latn");
  EXPECT_EQ(lang_from_path("news.de.test"), "de");
  EXPECT_EQ(lang_from_path("dev"), "");
}

TEST(LoadParallel, FilePairWithLanguagesFromNames) {
  LoadStats st;
  auto ex =
      load_parallel({{fixture("train.eng_Latn"), fixture("train.deu_Latn"), "", ""}}, {}, &st);
  ASSERT_EQ(ex.size(), 30u);
  EXPECT_EQ(ex[0].src, "The weather is nice today.");
  EXPECT_EQ(ex[0].tgt, "Das Wetter ist heute schön.");
  EXPECT_EQ(ex[0].src_lang, "eng_Latn");
  EXPECT_EQ(ex[0].tgt_lang, "deu_Latn");
  EXPECT_EQ(ex[29].line, 30);
  EXPECT_EQ(st.read, 30);
  EXPECT_EQ(st.examples, 30);
}

TEST(LoadParallel, SeveralPairsAndBothDirections) {
  LoadOptions o;
  o.both_directions = true;
  auto ex = load_parallel({{fixture("train.eng_Latn"), fixture("train.deu_Latn"), "", ""},
                           {fixture("train.eng_Latn"), fixture("train.spa_Latn"), "", ""}},
                          o);
  ASSERT_EQ(ex.size(), 120u);
  EXPECT_EQ(ex[0].tgt_lang, "deu_Latn");
  EXPECT_FALSE(ex[0].reversed);
  EXPECT_EQ(ex[1].src_lang, "deu_Latn");
  EXPECT_EQ(ex[1].tgt_lang, "eng_Latn");
  EXPECT_EQ(ex[1].src, ex[0].tgt);
  EXPECT_TRUE(ex[1].reversed);
  EXPECT_EQ(ex[60].tgt_lang, "spa_Latn");
  EXPECT_EQ(ex[60].source, 1);
}

TEST(LoadParallel, ExplicitLanguagesOverrideNames) {
  auto ex = load_parallel({{fixture("train.eng_Latn"), fixture("train.deu_Latn"), "en", "de"}});
  EXPECT_EQ(ex[0].src_lang, "en");
  EXPECT_EQ(ex[0].tgt_lang, "de");
}

TEST(LoadParallel, CrlfLinesMatchLf) {
  auto ex = load_parallel({{fixture("crlf.eng_Latn"), fixture("crlf.deu_Latn"), "", ""}});
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].src, "Good morning.");
}

TEST(LoadParallel, MissingFileNamed) {
  const std::string missing = fixture("does_not_exist.deu_Latn");
  const std::string msg = error_of([&] {
    load_parallel({{fixture("train.eng_Latn"), missing, "", ""}});
  });
  EXPECT_THAT(msg, HasSubstr(missing));
  EXPECT_THAT(msg, HasSubstr("cannot open file"));
}

TEST(LoadParallel, MismatchedLineCountsNameBothFilesAndCounts) {
  const std::string a = fixture("short.eng_Latn"), b = fixture("train.deu_Latn");
  std::string msg = error_of([&] { load_parallel({{a, b, "", ""}}); });
  EXPECT_THAT(msg, HasSubstr(a + " has 5 lines"));
  EXPECT_THAT(msg, HasSubstr(b + " has 30 lines"));
  msg = error_of([&] { load_parallel({{b, a, "deu_Latn", "eng_Latn"}}); });
  EXPECT_THAT(msg, HasSubstr(b + " has 30 lines"));
  EXPECT_THAT(msg, HasSubstr(a + " has 5 lines"));
}

TEST(LoadParallel, InvalidUtf8NamesFileAndLine) {
  const std::string a = fixture("badutf8.eng_Latn"), b = fixture("badutf8.deu_Latn");
  const std::string msg = error_of([&] { load_parallel({{a, b, "", ""}}); });
  EXPECT_THAT(msg, HasSubstr(a + ":3: invalid UTF-8"));
  // The error is also found on the target side.
  const std::string msg2 = error_of([&] { load_parallel({{b, a, "deu_Latn", "eng_Latn"}}); });
  EXPECT_THAT(msg2, HasSubstr(a + ":3: invalid UTF-8"));
}

TEST(LoadParallel, EmptyLineIsAnErrorNamingFileAndLine) {
  const std::string a = fixture("empty.eng_Latn"), b = fixture("empty.deu_Latn");
  const std::string msg = error_of([&] { load_parallel({{a, b, "", ""}}); });
  EXPECT_THAT(msg, HasSubstr(a + ":3: empty line"));
  EXPECT_THAT(msg, HasSubstr("skip"));
}

TEST(LoadParallel, EmptyFilesAreAnError) {
  const std::string a = temp_file("empty_a.en", ""), b = temp_file("empty_b.de", "");
  EXPECT_THAT(error_of([&] { load_parallel({{a, b, "", ""}}); }), HasSubstr(a + ": file is empty"));
  const std::string t = temp_file("empty.en-de.tsv", "");
  EXPECT_THAT(error_of([&] { load_tsv({{t, "", ""}}); }), HasSubstr(t + ": file is empty"));
}

TEST(LoadParallel, EmptyLineSkippedWhenAsked) {
  LoadOptions o;
  o.skip_empty = true;
  LoadStats st;
  auto ex = load_parallel({{fixture("empty.eng_Latn"), fixture("empty.deu_Latn"), "", ""}}, o, &st);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[2].src, "See you soon.");
  EXPECT_EQ(ex[2].line, 4);
  EXPECT_EQ(st.skipped_empty, 1);
  EXPECT_EQ(st.read, 4);
}

TEST(LoadParallel, MaxLengthBytesDropsLongPairs) {
  LoadOptions o;
  o.max_length_bytes = 20;
  LoadStats st;
  auto ex = load_parallel({{fixture("train.eng_Latn"), fixture("train.deu_Latn"), "", ""}}, o, &st);
  EXPECT_GT(st.skipped_long, 0);
  EXPECT_EQ(static_cast<int64_t>(ex.size()) + st.skipped_long, 30);
  for (const auto& e : ex) {
    EXPECT_LE(e.src.size(), 20u);
    EXPECT_LE(e.tgt.size(), 20u);
  }
}

TEST(LoadParallel, UnknownLanguageNeedsExplicitCode) {
  const std::string a = temp_file("plain_src.txt", "a\n"), b = temp_file("plain_tgt.txt", "b\n");
  const std::string msg = error_of([&] { load_parallel({{a, b, "", ""}}); });
  EXPECT_THAT(msg, HasSubstr(a));
  EXPECT_THAT(msg, HasSubstr("source language"));
  EXPECT_EQ(load_parallel({{a, b, "xx", "yy"}}).size(), 1u);
}

TEST(LoadTsv, TwoColumnsLanguagesFromName) {
  auto ex = load_tsv({{fixture("pairs.eng_Latn-deu_Latn.tsv"), "", ""}});
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].src, "Good morning.");
  EXPECT_EQ(ex[1].tgt, "Guten Morgen.");
  EXPECT_EQ(ex[1].src_lang, "eng_Latn");
  EXPECT_EQ(ex[1].tgt_lang, "deu_Latn");
}

TEST(LoadTsv, ThreeColumnsTargetLanguageColumn) {
  auto ex = load_tsv({{fixture("multi.tsv"), "eng_Latn", ""}});
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].tgt_lang, "deu_Latn");
  EXPECT_EQ(ex[1].tgt_lang, "spa_Latn");
  EXPECT_EQ(ex[1].src_lang, "eng_Latn");
  EXPECT_EQ(ex[1].tgt, "Buenos días.");
}

TEST(LoadTsv, FourColumns) {
  auto ex = load_tsv({{fixture("four.tsv"), "", ""}});
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].src_lang, "spa_Latn");
  EXPECT_EQ(ex[1].tgt_lang, "eng_Latn");
  EXPECT_EQ(ex[1].src, "Buenos días.");
}

TEST(LoadTsv, WrongColumnCountNamesFileAndLine) {
  const std::string p = fixture("badcols.eng_Latn-deu_Latn.tsv");
  const std::string msg = error_of([&] { load_tsv({{p, "", ""}}); });
  EXPECT_THAT(msg, HasSubstr(p + ":2: found 1 tab-separated columns"));
}

TEST(LoadTsv, TwoColumnsWithoutLanguagesIsAnError) {
  const std::string p = temp_file("nolang.tsv", "a\tb\n");
  EXPECT_THAT(error_of([&] { load_tsv({{p, "", ""}}); }), HasSubstr(p + ": a 2-column TSV"));
  EXPECT_THAT(error_of([&] { load_tsv({{p, "eng_Latn", ""}}); }), HasSubstr("target language"));
  const std::string q = temp_file("nolang3.tsv", "deu_Latn\ta\tb\n");
  EXPECT_THAT(error_of([&] {
                load_tsv({{q, "", ""}});
              }),
              HasSubstr(q + ": a 3-column TSV needs its source language"));
  const std::string r = temp_file("withsrc.eng_Latn.tsv", "deu_Latn\ta\tb\n");
  const auto ex = load_tsv({{r, "", ""}});
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].src_lang, "eng_Latn");
  EXPECT_EQ(ex[0].tgt_lang, "deu_Latn");
}

TEST(LoadTsv, BlankLineFollowsEmptyPolicy) {
  const std::string p = temp_file("blank.en-de.tsv", "a\tb\n\nc\td\n");
  EXPECT_THAT(error_of([&] { load_tsv({{p, "", ""}}); }), HasSubstr(p + ":2: empty line"));
  LoadOptions o;
  o.skip_empty = true;
  EXPECT_EQ(load_tsv({{p, "", ""}}, o).size(), 2u);
  const std::string q = temp_file("halfempty.en-de.tsv", "a\tb\nc\t\n");
  EXPECT_THAT(error_of([&] { load_tsv({{q, "", ""}}); }), HasSubstr(q + ":2: empty line"));
}

TEST(LoadExamples, PairsThenTsvSourcesNumbered) {
  auto ex = load_examples({{fixture("crlf.eng_Latn"), fixture("crlf.deu_Latn"), "", ""}},
                          {{fixture("four.tsv"), "", ""}});
  ASSERT_EQ(ex.size(), 4u);
  EXPECT_EQ(ex[0].source, 0);
  EXPECT_EQ(ex[3].source, 1);
}

}  // namespace
}  // namespace moemt::data
