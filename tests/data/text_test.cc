// Tests for UTF-8 validation and checked line reading.
#include "data/text.h"

#include <sstream>

#include "fixtures.h"

namespace moemt::data {
namespace {

using testing::error_of;
using testing::fixture;
using ::testing::HasSubstr;
using testing::temp_file;

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("¿Dónde está? ¡Hola! 早上好 😀"));
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsMalformedWithOffset) {
  size_t off = 99;
  EXPECT_FALSE(valid_utf8("caf\xE9", &off));  // Latin-1 byte
  EXPECT_EQ(off, 3u);
  EXPECT_FALSE(valid_utf8("ab\xC3", &off));  // truncated 2-byte sequence
  EXPECT_EQ(off, 2u);
  EXPECT_FALSE(valid_utf8("\xC0\xAF", &off));  // overlong '/'
  EXPECT_EQ(off, 0u);
  EXPECT_FALSE(valid_utf8("x\xE0\x80\xAF", &off));  // overlong 3-byte
  EXPECT_EQ(off, 1u);
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80", &off));      // UTF-16 surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80", &off));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE2\x82", &off));          // truncated euro sign
  EXPECT_FALSE(valid_utf8("\xE2\x28\xA1", &off));      // bad continuation
  EXPECT_FALSE(valid_utf8("\x80", &off));              // lone continuation
}

// 2000 byte strings judged by Python's strict UTF-8 decoder (fixtures/utf8_cases.tsv): the
// verdict and the offset of the first bad sequence must agree.
TEST(Utf8, AgreesWithPythonDecoder) {
  std::ifstream in(fixture("utf8_cases.tsv"));
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string hex;
    int ok = 0;
    long long off = 0;
    std::getline(fields, hex, '\t');
    fields >> ok >> off;
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    size_t bad = 0;
    const bool valid = valid_utf8(bytes, &bad);
    EXPECT_EQ(valid, ok == 1) << hex;
    if (!valid && ok == 0) {
      EXPECT_EQ(static_cast<long long>(bad), off) << hex;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 2000);
}

TEST(Blank, Whitespace) {
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" \t\r"));
  EXPECT_FALSE(is_blank(" a "));
}

TEST(ReadLines, ReadsAndStripsCarriageReturn) {
  const auto lines = read_lines(fixture("crlf.eng_Latn"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "Hello world.");
  EXPECT_EQ(lines[1], "Good morning.");
  EXPECT_EQ(read_lines(fixture("train.eng_Latn")).size(), 30u);
}

TEST(ReadLines, LastLineWithoutNewline) {
  const auto lines = read_lines(temp_file("nonl.txt", "a\nb"));
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
}

TEST(ReadLines, ByteOrderMarkDropped) {
  const auto lines = read_lines(temp_file("bom.txt", "\xEF\xBB\xBFHello\n\xEF\xBB\xBFx\n"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "Hello");
  EXPECT_EQ(lines[1], "\xEF\xBB\xBFx");  // only at the start of the file
}

TEST(ReadLines, MissingFileNamesIt) {
  const std::string msg = error_of([] { read_lines("/nonexistent/dir/train.eng_Latn"); });
  EXPECT_THAT(msg, HasSubstr("/nonexistent/dir/train.eng_Latn"));
  EXPECT_THAT(msg, HasSubstr("cannot open"));
}

TEST(ReadLines, InvalidUtf8NamesFileLineAndByte) {
  const std::string path = fixture("badutf8.eng_Latn");
  const std::string msg = error_of([&] { read_lines(path); });
  EXPECT_THAT(msg, HasSubstr(path + ":3: invalid UTF-8 at byte offset 7"));
  EXPECT_THAT(msg, HasSubstr("0xE9"));
}

TEST(LineReader, CountsLines) {
  LineReader r(fixture("empty.eng_Latn"));
  std::string line;
  int n = 0;
  while (r.next(line)) {
    ++n;
    EXPECT_EQ(r.line_number(), n);
  }
  EXPECT_EQ(n, 4);
}

}  // namespace
}  // namespace moemt::data
