// Language registry: required languages, code lookup, errors, and the built-in table being
// identical to corpora/languages.tsv.
#include "data/language.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace moemt::data {
namespace {

TEST(LanguageRegistry, HasEnglishAndTheRequiredLanguages) {
  const auto& reg = LanguageRegistry::builtin();
  const std::vector<std::pair<std::string, std::string>> required = {
      {"en", "eng_Latn"}, {"de", "deu_Latn"}, {"fr", "fra_Latn"}, {"es", "spa_Latn"},
      {"it", "ita_Latn"}, {"pt", "por_Latn"}, {"ro", "ron_Latn"}, {"ca", "cat_Latn"},
      {"nl", "nld_Latn"}, {"sv", "swe_Latn"}, {"da", "dan_Latn"}, {"ru", "rus_Cyrl"},
      {"uk", "ukr_Cyrl"}, {"pl", "pol_Latn"}, {"cs", "ces_Latn"}, {"bg", "bul_Cyrl"},
      {"fi", "fin_Latn"}, {"hu", "hun_Latn"}, {"tr", "tur_Latn"}, {"el", "ell_Grek"},
      {"ja", "jpn_Jpan"}, {"zh", "zho_Hans"}, {"ko", "kor_Hang"}};
  for (const auto& [iso1, flores] : required) {
    const Language& l = reg.get(iso1);
    EXPECT_EQ(l.flores, flores) << iso1;
    EXPECT_EQ(l.flores.substr(4), l.script) << iso1;
    EXPECT_FALSE(l.gettext_locales.empty()) << iso1;
    EXPECT_FALSE(l.family.empty()) << iso1;
  }
}

TEST(LanguageRegistry, LooksUpAnyCodeCaseInsensitively) {
  const auto& reg = LanguageRegistry::builtin();
  EXPECT_EQ(&reg.get("de"), &reg.get("deu"));
  EXPECT_EQ(&reg.get("de"), &reg.get("deu_Latn"));
  EXPECT_EQ(&reg.get("DE"), &reg.get("DEU_LATN"));
  EXPECT_EQ(reg.get("pt").gettext_locales, (std::vector<std::string>{"pt_BR", "pt"}));
  EXPECT_EQ(reg.get("zh").gettext_locales, (std::vector<std::string>{"zh_CN"}));
  EXPECT_EQ(reg.get("fi").family, "Uralic");
  EXPECT_EQ(reg.get("fi").branch, "Finnic");
  EXPECT_EQ(reg.get("es").branch, "Romance");
  EXPECT_EQ(reg.find("xx"), nullptr);
}

TEST(LanguageRegistry, UnknownCodeListsKnownOnes) {
  try {
    LanguageRegistry::builtin().get("klingon");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("unknown language code 'klingon'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(" de "), std::string::npos) << msg;
    EXPECT_NE(msg.find(" ko"), std::string::npos) << msg;
  }
}

TEST(LanguageRegistry, FamiliesGroupLanguages) {
  auto fam = LanguageRegistry::builtin().families();
  ASSERT_TRUE(fam.count("Uralic"));
  EXPECT_EQ(fam["Uralic"], (std::vector<std::string>{"fin_Latn", "est_Latn", "hun_Latn"}));
  auto br = LanguageRegistry::builtin().branches();
  ASSERT_TRUE(br.count("Indo-European/Slavic"));
  EXPECT_EQ(br["Indo-European/Slavic"].front(), "rus_Cyrl");
}

TEST(LanguageRegistry, BuiltinEqualsCommittedTsv) {
  std::ifstream in(std::string(MOEMT_SOURCE_DIR) + "/corpora/languages.tsv", std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), std::string(LanguageRegistry::builtin_tsv()))
      << "corpora/languages.tsv and the table in src/data/language.cc differ; keep them equal";
  auto loaded = LanguageRegistry::load(std::string(MOEMT_SOURCE_DIR) + "/corpora/languages.tsv");
  EXPECT_EQ(loaded.all().size(), LanguageRegistry::builtin().all().size());
}

TEST(LanguageRegistry, ParseErrorsNameTheLine) {
  const std::string hdr = "iso1\tiso3\tflores\tgettext_locales\tname\tscript\tfamily\tbranch\n";
  try {
    LanguageRegistry::parse(hdr + "de\tdeu\tdeu_Latn\tde\tGerman\tLatn\n", "x.tsv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.tsv:2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      LanguageRegistry::parse(
          hdr +
              "de\tdeu\tdeu_Latn\tde\tGerman\tLatn\tIE\tG\nde\tdeu\tdeu_Latn\tde\tX\tLatn\tIE\tG\n",
          "y.tsv"),
      Error);
  EXPECT_THROW(LanguageRegistry::parse("a\tb\n", "z.tsv"), Error);
}

}  // namespace
}  // namespace moemt::data
