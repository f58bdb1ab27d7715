// End-to-end corpus build from hand-built catalogs: layout, multi-way alignment, the
// no-overlap property of dev/devtest vs train, determinism, and skipped bad input.
#include "corpus/builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "corpus/multiway.h"
#include "data/text.h"
#include "mo_writer.h"

namespace moemt::corpus {
namespace {
namespace fs = std::filesystem;
using testing::RawEntry;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// English sentence i and its translations; each language knows sentences [0, n).
std::string en(int i) { return "The document number " + std::to_string(i) + " was saved to disk."; }
std::string de(int i) { return "Das Dokument Nummer " + std::to_string(i) + " wurde gespeichert."; }
std::string fr(int i) { return "Le document numéro " + std::to_string(i) + " a été enregistré."; }
std::string ru(int i) { return "Документ номер " + std::to_string(i) + " сохранён на диск."; }

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("moemt_builder_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    auto cat = [&](const std::string& locale, const std::string& domain, std::vector<RawEntry> e,
                   bool big = false) {
      fs::path dir = root_ / "catalogs" / locale / "LC_MESSAGES";
      fs::create_directories(dir);
      e.push_back({"", testing::utf8_header()});
      testing::write_file((dir / (domain + ".mo")).string(), testing::make_mo(e, big));
    };
    std::vector<RawEntry> d, f, r;
    for (int i = 0; i < 60; ++i) {
      d.push_back({en(i), de(i)});
      f.push_back({en(i), fr(i)});
      r.push_back({en(i), ru(i)});
    }
    // German-only sentences (not multi-way) and a near-duplicate of every multi-way one.
    for (int i = 60; i < 80; ++i) d.push_back({en(i), de(i)});
    std::vector<RawEntry> d2;
    for (int i = 0; i < 60; ++i)
      d2.push_back({"the document number " + std::to_string(i) + " was saved to disk", de(i)});
    // Junk the filters must drop, and a plural entry.
    d.push_back({"Save the whole document now", "Save the whole document now"});
    d.push_back({"Copy %s to %d", "Kopiere %s"});
    r.push_back({"Open the document", "Open the document please"});
    r.push_back({std::string("%d document\0%d documents", 25),
                 std::string("%d документ\0%d документа\0%d документов", 53)});
    cat("de", "app", d);
    cat("de", "other", d2, /*big=*/true);
    cat("fr", "app", f);
    cat("ru", "app", r);
    fs::create_directories(root_ / "catalogs" / "de" / "LC_MESSAGES");
    testing::write_file((root_ / "catalogs" / "de" / "LC_MESSAGES" / "broken.mo").string(),
                        testing::make_mo(d).substr(0, 100));
    testing::write_file((root_ / "catalogs" / "fr" / "LC_MESSAGES" / "notmo.mo").string(),
                        "msgid \"\"\nmsgstr \"\"\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  BuildOptions options(const std::string& out) {
    BuildOptions o;
    o.langs = {"de", "fra_Latn", "rus"};
    o.out_dir = (root_ / out).string();
    o.catalog_dirs = {(root_ / "catalogs").string()};
    o.splits = SplitOptions{10, 15};
    return o;
  }

  fs::path root_;
};

TEST_F(BuilderTest, LayoutAlignmentAndCounts) {
  BuildReport r = build_corpus(options("out"), data::LanguageRegistry::builtin());
  fs::path out = root_ / "out";
  for (const char* f : {"stats.json", "README.md", "dev/eng_Latn.dev", "dev/deu_Latn.dev",
                        "devtest/rus_Cyrl.devtest", "train/eng_Latn-deu_Latn.eng_Latn",
                        "train/eng_Latn-deu_Latn.deu_Latn", "train/eng_Latn-rus_Cyrl.rus_Cyrl"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  MultiwaySet dev = load_multiway(out.string(), "dev");
  ASSERT_EQ(dev.size(), 10u);
  EXPECT_EQ(dev.lines.size(), 4u);  // English + 3 languages
  // Line i is the same sentence in every language.
  for (size_t i = 0; i < dev.size(); ++i) {
    const std::string& e = dev.get("eng_Latn")[i];
    int n = std::stoi(e.substr(std::string("The document number ").size()));
    EXPECT_EQ(e, en(n));
    EXPECT_EQ(dev.get("deu_Latn")[i], de(n));
    EXPECT_EQ(dev.get("fra_Latn")[i], fr(n));
    EXPECT_EQ(dev.get("rus_Cyrl")[i], ru(n));
  }
  EXPECT_EQ(load_multiway(out.string(), "devtest").size(), 15u);
  auto meta = data::read_lines((out / "metadata_dev.tsv").string());
  ASSERT_EQ(meta.size(), 11u);
  EXPECT_EQ(meta[0], "origin\tdomain\tprose");
  EXPECT_EQ(meta[1], "dir:" + (root_ / "catalogs").string() + "\tapp\t1");
  const auto& c = r.counts.at("deu_Latn");
  EXPECT_EQ(c.dev, 10);
  EXPECT_EQ(c.devtest, 15);
  EXPECT_EQ(c.dropped.at("identical"), 1);
  EXPECT_EQ(c.dropped.at("placeholder_mismatch"), 1);
  // 80 + 60 near-duplicates, minus 25 held-out sentences and their 25 near-duplicates.
  EXPECT_EQ(c.dropped.at("held_out"), 50);
  EXPECT_EQ(c.train, 140 - 50);
  EXPECT_EQ(r.counts.at("rus_Cyrl").dropped.at("wrong_script"), 1);
  EXPECT_EQ(r.counts.at("rus_Cyrl").plural_entries, 1);
  EXPECT_EQ(r.counts.at("rus_Cyrl").train, 60 - 25 + 1);
  auto train_tgt = data::read_lines((out / "train/eng_Latn-rus_Cyrl.rus_Cyrl").string());
  EXPECT_NE(std::find(train_tgt.begin(), train_tgt.end(), "%d документ"), train_tgt.end());
  // Bad catalogs are reported and the build goes on.
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_NE(r.skipped[0].why.find("truncated"), std::string::npos) << r.skipped[0].why;
  EXPECT_NE(r.skipped[1].why.find("not a .mo file"), std::string::npos) << r.skipped[1].why;
  EXPECT_NE(slurp(out / "README.md").find("broken.mo"), std::string::npos);
}

TEST_F(BuilderTest, HeldOutSentencesNeverInTrain) {
  build_corpus(options("out"), data::LanguageRegistry::builtin());
  fs::path out = root_ / "out";
  std::set<std::string> held;
  for (const char* split : {"dev", "devtest"}) {
    MultiwaySet set = load_multiway(out.string(), split);
    for (const auto& s : set.get("eng_Latn")) held.insert(heldout_key(s));
  }
  ASSERT_EQ(held.size(), 25u);
  int checked = 0;
  for (const auto& e : fs::directory_iterator(out / "train")) {
    if (e.path().extension() != ".eng_Latn") continue;
    for (const auto& line : data::read_lines(e.path().string())) {
      EXPECT_EQ(held.count(heldout_key(line)), 0u) << e.path() << ": " << line;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 90 + 35 + 36);
}

TEST_F(BuilderTest, TwoBuildsAreIdentical) {
  build_corpus(options("a"), data::LanguageRegistry::builtin());
  BuildOptions o = options("b");
  build_corpus(o, data::LanguageRegistry::builtin());
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root_ / "a"))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), root_ / "a").string());
  EXPECT_EQ(files.size(), 4u + 4 + 4 + 6);
  for (const auto& f : files) {
    std::string a = slurp(root_ / "a" / f), b = slurp(root_ / "b" / f);
    if (f == "stats.json" || f == "README.md") {
      // The output directory differs only in the catalog path, which is the same here.
      EXPECT_EQ(a, b) << f;
    } else {
      EXPECT_EQ(a, b) << f;
      EXPECT_FALSE(a.empty()) << f;
    }
  }
}

TEST_F(BuilderTest, BadRequestsAreClearErrors) {
  BuildOptions o = options("x");
  o.langs = {"de", "xx"};
  try {
    build_corpus(o, data::LanguageRegistry::builtin());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown language code 'xx'"), std::string::npos);
  }
  o = options("y");
  o.catalog_dirs.clear();
  EXPECT_THROW(build_corpus(o, data::LanguageRegistry::builtin()), Error);
  // Refuses to write into a directory that is not a corpus.
  fs::create_directories(root_ / "busy");
  testing::write_file((root_ / "busy" / "notes.txt").string(), "mine");
  EXPECT_THROW(build_corpus(options("busy"), data::LanguageRegistry::builtin()), Error);
}

// A catalog whose Plural-Forms header nests 100,000 parentheses once crashed the build (stack
// overflow); now it is reported with its path and skipped, and the build goes on.
TEST_F(BuilderTest, CraftedPluralFormsCatalogIsSkippedWithItsPath) {
  const fs::path evil = root_ / "catalogs" / "de" / "LC_MESSAGES" / "evil.mo";
  const std::string deep = std::string(100000, '(') + "n" + std::string(100000, ')');
  testing::write_file(
      evil.string(),
      testing::make_mo({{"", testing::utf8_header("nplurals=2; plural=" + deep)}, {en(1), de(1)}}));
  BuildReport r = build_corpus(options("out"), data::LanguageRegistry::builtin());
  auto it = std::find_if(r.skipped.begin(), r.skipped.end(),
                         [&](const Skipped& s) { return s.what == evil.string(); });
  ASSERT_NE(it, r.skipped.end());
  EXPECT_NE(it->why.find("Plural-Forms expression of 200001 bytes"), std::string::npos) << it->why;
  EXPECT_EQ(r.counts.at("deu_Latn").catalogs, 2);  // app and other, not evil
  EXPECT_EQ(r.counts.at("deu_Latn").dev, 10);
}

// A build that could read no catalog at all is an error, not an empty corpus.
TEST_F(BuilderTest, NoReadableCatalogIsAnError) {
  const fs::path bad = root_ / "bad_only";
  fs::create_directories(bad / "de" / "LC_MESSAGES");
  fs::create_directories(bad / "fr" / "LC_MESSAGES");
  testing::write_file(
      (bad / "de" / "LC_MESSAGES" / "evil.mo").string(),
      testing::make_mo({{"", testing::utf8_header("nplurals=99999999999;")}, {en(1), de(1)}}));
  testing::write_file((bad / "fr" / "LC_MESSAGES" / "notmo.mo").string(), "not a catalog");
  BuildOptions o = options("empty");
  o.langs = {"de", "fr"};
  o.catalog_dirs = {bad.string()};
  try {
    build_corpus(o, data::LanguageRegistry::builtin());
    FAIL() << "a build with no readable catalog succeeded";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("all 2 catalog(s) for deu_Latn,fra_Latn were skipped"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("evil.mo: Plural-Forms nplurals=99999999999 is out of range"),
              std::string::npos)
        << msg;
  }
  EXPECT_FALSE(fs::exists(root_ / "empty" / "stats.json"));
  // No catalog at all for the languages asked for: also an error.
  o.langs = {"ru"};
  try {
    build_corpus(o, data::LanguageRegistry::builtin());
    FAIL() << "a build with no catalog succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no catalogs found for rus_Cyrl"), std::string::npos)
        << e.what();
  }
}

TEST_F(BuilderTest, UnavailablePackageIsSkipped) {
  if (std::system("apt-get --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no apt-get";
  fs::path list = root_ / "packages.txt";
  testing::write_file(list.string(), "# test\nmoemt-no-such-package=1.0-1\n");
  BuildOptions o = options("pk");
  o.packages_file = list.string();
  o.cache_dir = (root_ / "cache").string();
  BuildReport r = build_corpus(o, data::LanguageRegistry::builtin());
  ASSERT_GE(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].what, "moemt-no-such-package=1.0-1");
  EXPECT_NE(r.skipped[0].why.find("apt-get download failed"), std::string::npos)
      << r.skipped[0].why;
  EXPECT_EQ(r.counts.at("deu_Latn").dev, 10);  // the rest of the build went on
}

}  // namespace
}  // namespace moemt::corpus
