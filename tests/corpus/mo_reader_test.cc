// .mo reader: hand-built catalogs in both byte orders, contexts, plurals, charsets, corrupt
// files, and catalogs compiled by GNU msgfmt (when installed) as an independent writer.
#include "corpus/mo_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "mo_writer.h"

namespace moemt::corpus {
namespace {
using testing::make_mo;
using testing::RawEntry;

std::vector<RawEntry> sample_entries() {
  return {{"", testing::utf8_header("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
                                    "n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);")},
          {"Open file", "Открыть файл"},
          {"menu\x04Quit", "Выход"},
          {std::string("%d file\0%d files", 16), std::string("%d файл\0%d файла\0%d файлов", 41)},
          {"Untranslated", ""}};
}

void expect_sample(const MoCatalog& c) {
  ASSERT_EQ(c.entries.size(), 4u);
  EXPECT_EQ(c.charset, "UTF-8");
  EXPECT_EQ(c.plural_forms.nplurals, 3);
  EXPECT_EQ(c.plural_forms.singular_index(), 0);
  // Sorted by the raw msgid: "%d file..." < "Open file" < "Untranslated" < "menu\4Quit".
  const MoEntry& plural = c.entries[0];
  EXPECT_EQ(plural.msgid, "%d file");
  EXPECT_EQ(plural.msgid_plural, "%d files");
  EXPECT_EQ(plural.msgstr, (std::vector<std::string>{"%d файл", "%d файла", "%d файлов"}));
  EXPECT_EQ(c.entries[1].msgid, "Open file");
  EXPECT_EQ(c.entries[1].msgstr, (std::vector<std::string>{"Открыть файл"}));
  EXPECT_FALSE(c.entries[1].is_plural());
  EXPECT_EQ(c.entries[2].msgstr, (std::vector<std::string>{""}));
  EXPECT_EQ(c.entries[3].context, "menu");
  EXPECT_EQ(c.entries[3].msgid, "Quit");
}

TEST(MoReader, LittleEndian) {
  MoCatalog c = parse_mo(make_mo(sample_entries(), false), "le.mo");
  EXPECT_FALSE(c.big_endian);
  expect_sample(c);
}

TEST(MoReader, BigEndian) {
  MoCatalog c = parse_mo(make_mo(sample_entries(), true), "be.mo");
  EXPECT_TRUE(c.big_endian);
  expect_sample(c);
}

TEST(MoReader, MinorRevisionAcceptedMajorRejected) {
  EXPECT_NO_THROW(parse_mo(make_mo(sample_entries(), false, 1), "r1.mo"));
  EXPECT_THROW(parse_mo(make_mo(sample_entries(), false, 2u << 16), "r2.mo"), Error);
}

TEST(MoReader, ConvertsLegacyCharsets) {
  std::vector<RawEntry> e = {{"", "Content-Type: text/plain; charset=ISO-8859-1\n"},
                             {"Size",
                              "Gr\xf6\xdf"
                              "e"}};  // "Größe" in Latin-1
  MoCatalog c = parse_mo(make_mo(e), "latin1.mo");
  EXPECT_EQ(c.charset, "ISO-8859-1");
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].msgstr[0], "Größe");
}

TEST(MoReader, InvalidUtf8EntriesAreCountedNotKept) {
  std::vector<RawEntry> e = {{"", testing::utf8_header()}, {"Bad", "\xff\xfe"}, {"Good", "Gut"}};
  MoCatalog c = parse_mo(make_mo(e), "bad-utf8.mo");
  EXPECT_EQ(c.invalid_utf8, 1);
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].msgid, "Good");
}

std::string error_of(const std::string& bytes) {
  try {
    parse_mo(bytes, "x.mo");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MoReader, CorruptFilesGiveClearErrors) {
  std::string good = make_mo(sample_entries());
  EXPECT_NE(error_of(good.substr(0, 10)).find("x.mo: truncated .mo file"), std::string::npos);
  // Tables intact but strings cut off.
  EXPECT_NE(error_of(good.substr(0, good.size() - 20)).find("runs past the end"),
            std::string::npos);
  // String tables cut off.
  EXPECT_NE(error_of(good.substr(0, 40)).find("truncated"), std::string::npos);
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_NE(error_of(bad_magic).find("not a .mo file"), std::string::npos);
  EXPECT_NE(error_of("# a .po file, not a .mo file\nmsgid \"\"\n").find("not a .mo file"),
            std::string::npos);
  std::vector<RawEntry> unknown_cs = {{"", "Content-Type: text/plain; charset=NO-SUCH-CHARSET\n"},
                                      {"a", "b"}};
  EXPECT_NE(error_of(make_mo(unknown_cs)).find("unknown charset"), std::string::npos);
}

// A crafted Plural-Forms header once crashed the reader by unbounded recursion; now it is a
// clear error naming the file (the builder then skips that catalog).
TEST(MoReader, CraftedPluralFormsAreErrorsNamingTheFile) {
  const std::string deep = std::string(100000, '(') + "n" + std::string(100000, ')');
  for (const std::string& pf :
       {"nplurals=2; plural=" + deep + ";", "nplurals=2; plural=" + std::string(10000, '!') + "n;",
        std::string("nplurals=99999999999; plural=n != 1;")}) {
    std::string msg = error_of(make_mo({{"", testing::utf8_header(pf)}, {"a", "b"}}));
    EXPECT_EQ(msg.rfind("x.mo: ", 0), 0u) << msg.substr(0, 200);
    EXPECT_NE(msg.find("Plural-Forms"), std::string::npos) << msg.substr(0, 200);
  }
}

TEST(MoReader, MissingFile) { EXPECT_THROW(read_mo("/nonexistent/file.mo"), Error); }

TEST(MoReader, HeaderFields) {
  std::string h = "Project-Id-Version: x\nplural-forms: nplurals=1; plural=0;\n";
  EXPECT_EQ(header_field(h, "Plural-Forms"), "nplurals=1; plural=0;");
  EXPECT_EQ(header_field(h, "Language"), "");
}

// GNU msgfmt as an independent writer of both byte orders.
TEST(MoReader, ReadsCatalogsCompiledByMsgfmt) {
  if (std::system("msgfmt --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "msgfmt not installed";
  const std::string po = std::string(MOEMT_SOURCE_DIR) + "/tests/data/corpus/po/ru.po";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("moemt_mo_reader_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* endian : {"little", "big"}) {
    std::string mo = (dir / (std::string(endian) + ".mo")).string();
    std::string cmd = "msgfmt --endianness=" + std::string(endian) + " -o " + mo + " " + po;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    MoCatalog c = read_mo(mo);
    EXPECT_EQ(c.big_endian, std::string(endian) == "big");
    EXPECT_EQ(c.plural_forms.nplurals, 3);
    // ru.po has 9 translated entries, 1 untranslated and 1 fuzzy one, which msgfmt leaves out.
    std::map<std::string, MoEntry> by_id;
    for (const auto& e : c.entries) by_id[e.context + "|" + e.msgid] = e;
    EXPECT_EQ(c.entries.size(), 9u);
    EXPECT_EQ(by_id.count("|Fuzzy entry here."), 0u);
    ASSERT_EQ(by_id.count("menu|_Quit"), 1u);
    EXPECT_EQ(by_id["menu|_Quit"].msgstr[0], "_Выход");
    ASSERT_EQ(by_id.count("|%d file was deleted."), 1u);
    const MoEntry& p = by_id["|%d file was deleted."];
    EXPECT_EQ(p.msgid_plural, "%d files were deleted.");
    ASSERT_EQ(p.msgstr.size(), 3u);
    EXPECT_EQ(p.msgstr[2], "%d файлов было удалено.");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moemt::corpus
