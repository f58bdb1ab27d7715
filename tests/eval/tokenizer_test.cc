// Tokenizers and lowercasing against sacrebleu's outputs recorded in
// tests/data/score/tokenize.jsonl (heavy-Unicode lines and FLORES excerpts).
#include "eval/tokenizer.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/ter_tokenizer.h"
#include "eval/unicode_text.h"
#include "score_test_util.h"

namespace moemt::eval {
namespace {

using testing::read_jsonl;

std::string tok(const Tokenizer& t, const std::string& text) {
  std::u32string in = decode_utf8_or_throw(text, "test"), out;
  t.tokenize(rstrip_py(in), out);
  return encode_utf8(out);
}

std::string ter_tok(const std::string& text, TerTokenizerOptions o) {
  std::u32string in = decode_utf8_or_throw(text, "test");
  return encode_utf8(ter_tokenize(rstrip_py(in), o));
}

TEST(Tokenizer, MatchesSacrebleuOnRecordedLines) {
  auto cases = read_jsonl("tokenize.jsonl");
  ASSERT_GT(cases.size(), 100u);
  Tokenizer13a t13a;
  TokenizerIntl intl;
  TokenizerChar chr;
  TokenizerZh zh;
  for (const auto& c : cases) {
    const std::string text = c["text"];
    SCOPED_TRACE(text);
    EXPECT_EQ(encode_utf8(to_lower(decode_utf8_or_throw(text, "t"))),
              c["lower"].get<std::string>());
    EXPECT_EQ(tok(t13a, text), c["13a"].get<std::string>());
    EXPECT_EQ(tok(intl, text), c["intl"].get<std::string>());
    EXPECT_EQ(tok(chr, text), c["char"].get<std::string>());
    EXPECT_EQ(tok(zh, text), c["zh"].get<std::string>());
    EXPECT_EQ(ter_tok(text, {}), c["ter"].get<std::string>());
    EXPECT_EQ(ter_tok(text, {.normalized = true}), c["ter_norm"].get<std::string>());
    EXPECT_EQ(ter_tok(text, {.normalized = true, .asian_support = true}),
              c["ter_norm_asian"].get<std::string>());
    EXPECT_EQ(ter_tok(text, {.no_punct = true, .asian_support = true, .case_sensitive = true}),
              c["ter_nopunct_asian"].get<std::string>());
  }
}

TEST(Tokenizer, ThirteenAHandlesEntitiesAndDigits) {
  // Expected strings from sacrebleu 2.6.0: Tokenizer13a()(...).
  Tokenizer13a t;
  EXPECT_EQ(tok(t, "a &amp;lt; b"), "a < b");
  EXPECT_EQ(tok(t, "1990-2000, 3.5 and 4,5."), "1990 - 2000 , 3.5 and 4,5 .");
}

TEST(Tokenizer, UnknownNameIsAUserError) { EXPECT_THROW(make_tokenizer("ja-mecab"), moemt::Error); }

TEST(UnicodeText, RejectsInvalidUtf8) {
  std::u32string out;
  size_t bad = 0;
  EXPECT_FALSE(decode_utf8("ab\xC3", out, &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(decode_utf8("\xED\xA0\x80", out, &bad));  // surrogate
  EXPECT_FALSE(decode_utf8("\xC0\xAF", out, &bad));      // overlong
  EXPECT_TRUE(valid_utf8("plain ascii text and \xE2\x82\xAC"));
  EXPECT_FALSE(valid_utf8("0123456789abcdef\xFF"));
}

TEST(UnicodeText, RstripMatchesPythonWhitespace) {
  EXPECT_EQ(rstrip_py_utf8("abc \t\xC2\xA0\xE3\x80\x80"), "abc");
  // U+200B (zero-width space) is not whitespace for Python.
  EXPECT_EQ(rstrip_py_utf8("abc\xE2\x80\x8B"), "abc\xE2\x80\x8B");
}

}  // namespace
}  // namespace moemt::eval
