// Multi-way (FLORES-style) reader and corpus counting: the committed fixture and sample, the
// real FLORES-200 directory when present, and malformed directories.
#include "corpus/multiway.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/error.h"

namespace moemt::corpus {
namespace {
namespace fs = std::filesystem;

const std::string kFixture = std::string(MOEMT_SOURCE_DIR) + "/tests/data/corpus/flores";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Multiway, ReadsFixtureAndListsUnknownCodes) {
  MultiwaySet dev = load_multiway(kFixture, "dev");
  EXPECT_EQ(dev.size(), 3u);
  EXPECT_EQ(dev.lines.size(), 3u);
  EXPECT_EQ(dev.get("deu_Latn")[1], "Sie lebt seit zehn Jahren in der Stadt.");
  EXPECT_EQ(dev.get("rus_Cyrl")[2], "Музей открывается в девять.");
  EXPECT_EQ(dev.unknown_files, (std::vector<std::string>{"xho_Latn.dev"}));
  // The split directory itself works too.
  EXPECT_EQ(load_multiway(kFixture + "/devtest", "devtest").size(), 2u);
  // Restricting to languages, by any code.
  MultiwaySet two = load_multiway(kFixture, "dev", {"en", "ru"});
  EXPECT_EQ(two.lines.size(), 2u);
  EXPECT_NE(error_of([] { load_multiway(kFixture, "dev", {"fr"}); }).find("no dev for French"),
            std::string::npos);
  EXPECT_NE(error_of([] { load_multiway(kFixture, "dev", {"xx"}); }).find("unknown language code"),
            std::string::npos);
  EXPECT_NE(error_of([] { load_multiway(kFixture, "test"); }).find("no 'test' directory"),
            std::string::npos);
}

TEST(Multiway, MalformedSetsAreErrors) {
  fs::path d =
      fs::temp_directory_path() / ("moemt_multiway_test_" + std::to_string(::getpid())) / "dev";
  fs::remove_all(d.parent_path());
  fs::create_directories(d);
  std::ofstream(d / "eng_Latn.dev") << "one\ntwo\n";
  std::ofstream(d / "deu_Latn.dev") << "eins\n";
  std::string e = error_of([&] { load_multiway(d.parent_path().string(), "dev"); });
  EXPECT_NE(e.find("the same count in every language"), std::string::npos) << e;
  std::ofstream(d / "deu_Latn.dev") << "eins\nzw\xff"
                                       "ei\n";
  e = error_of([&] { load_multiway(d.parent_path().string(), "dev"); });
  EXPECT_NE(e.find("deu_Latn.dev:2:"), std::string::npos) << e;
  fs::remove_all(d.parent_path());
}

TEST(Multiway, CountsCorpusAndFloresDirectories) {
  CorpusCounts f = count_corpus(kFixture);
  EXPECT_EQ(f.rows.at("eng_Latn").dev, 3);
  EXPECT_EQ(f.rows.at("eng_Latn").devtest, 2);
  EXPECT_EQ(f.rows.at("deu_Latn").train, -1);
  EXPECT_EQ(f.unknown_files, (std::vector<std::string>{"dev/xho_Latn.dev"}));
  CorpusCounts s = count_corpus(std::string(MOEMT_SOURCE_DIR) + "/corpora/sample");
  for (const char* code : {"deu_Latn", "fra_Latn", "spa_Latn", "rus_Cyrl"}) {
    EXPECT_EQ(s.rows.at(code).train, 200) << code;
    EXPECT_EQ(s.rows.at(code).dev, 50) << code;
    EXPECT_EQ(s.rows.at(code).devtest, 50) << code;
  }
  EXPECT_EQ(s.rows.at("eng_Latn").dev, 50);
  EXPECT_THROW(count_corpus(std::string(MOEMT_SOURCE_DIR) + "/src"), Error);
}

// `corpus stats` counts must not hide a misaligned set: one language with a line fewer shifts
// every later sentence against the others. Likewise the two sides of a training pair.
TEST(Multiway, CountingMisalignedFilesIsAnError) {
  const fs::path d = fs::temp_directory_path() / ("moemt_misaligned_" + std::to_string(getpid()));
  fs::create_directories(d / "dev");
  auto write = [](const fs::path& p, int lines) {
    std::ofstream out(p);
    for (int i = 0; i < lines; ++i) out << "sentence " << i << "\n";
  };
  write(d / "dev" / "eng_Latn.dev", 50);
  write(d / "dev" / "fra_Latn.dev", 50);
  write(d / "dev" / "deu_Latn.dev", 49);
  std::string e = error_of([&] { count_corpus(d.string()); });
  EXPECT_NE(e.find("eng_Latn.dev: 50 lines, but "), std::string::npos) << e;
  EXPECT_NE(e.find("deu_Latn.dev has 49; a multi-way set needs the same count"), std::string::npos)
      << e;
  write(d / "dev" / "deu_Latn.dev", 50);
  EXPECT_EQ(count_corpus(d.string()).rows.at("deu_Latn").dev, 50);
  fs::create_directories(d / "train");
  write(d / "train" / "eng_Latn-deu_Latn.eng_Latn", 10);
  write(d / "train" / "eng_Latn-deu_Latn.deu_Latn", 9);
  e = error_of([&] { count_corpus(d.string()); });
  EXPECT_NE(e.find("eng_Latn-deu_Latn.deu_Latn: 9 lines, but "), std::string::npos) << e;
  EXPECT_NE(e.find("eng_Latn-deu_Latn.eng_Latn has 10; the two sides"), std::string::npos) << e;
  fs::remove_all(d);
}

TEST(Multiway, CommittedSampleIsMultiway) {
  MultiwaySet dev = load_multiway(std::string(MOEMT_SOURCE_DIR) + "/corpora/sample", "dev");
  EXPECT_EQ(dev.lines.size(), 5u);
  EXPECT_EQ(dev.size(), 50u);
}

// The real FLORES-200 dev/devtest (23 languages) shared beside the checkout, when present.
TEST(Multiway, ReadsRealFlores200) {
  const std::string dir = std::string(MOEMT_SOURCE_DIR) + "/../shared/data/flores200";
  if (!fs::exists(dir + "/dev/eng_Latn.dev")) GTEST_SKIP() << dir << " not present";
  MultiwaySet dev = load_multiway(dir, "dev");
  MultiwaySet devtest = load_multiway(dir, "devtest");
  // Sizes documented by FLORES-200: 997 dev and 1012 devtest sentences.
  EXPECT_EQ(dev.size(), 997u);
  EXPECT_EQ(devtest.size(), 1012u);
  EXPECT_EQ(dev.lines.size(), 23u);
  EXPECT_TRUE(dev.unknown_files.empty());
  EXPECT_TRUE(dev.lines.count("zho_Hans"));
}

}  // namespace
}  // namespace moemt::corpus
