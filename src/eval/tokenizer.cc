// BLEU tokenizers (see tokenizer.h): the shared regex stage, none, char and the factory.
#include "eval/tokenizer.h"

#include "core/error.h"
#include "eval/unicode_text.h"

namespace moemt::eval {
namespace {

inline bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

// The character class [\{-\~\[-\` -\&\(-\+\:-\@\/] of mteval's first rule.
inline bool is_13a_punct(char32_t c) {
  return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
         (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

inline bool is_period_comma(char32_t c) { return c == U'.' || c == U','; }

}  // namespace

void regexp_post_tokenize(std::u32string_view line, std::u32string& out) {
  // Each rule is a left-to-right, non-overlapping substitution like Python's re.sub.
  thread_local std::u32string a, b;
  a.clear();
  b.clear();
  for (char32_t c : line) {
    if (is_13a_punct(c)) {
      a.push_back(U' ');
      a.push_back(c);
      a.push_back(U' ');
    } else {
      a.push_back(c);
    }
  }
  // ([^0-9])([\.,]) -> "\1 \2 "
  for (size_t i = 0, n = a.size(); i < n;) {
    if (i + 1 < n && !is_digit(a[i]) && is_period_comma(a[i + 1])) {
      b.push_back(a[i]);
      b.push_back(U' ');
      b.push_back(a[i + 1]);
      b.push_back(U' ');
      i += 2;
    } else {
      b.push_back(a[i++]);
    }
  }
  // ([\.,])([^0-9]) -> " \1 \2"
  a.clear();
  for (size_t i = 0, n = b.size(); i < n;) {
    if (i + 1 < n && is_period_comma(b[i]) && !is_digit(b[i + 1])) {
      a.push_back(U' ');
      a.push_back(b[i]);
      a.push_back(U' ');
      a.push_back(b[i + 1]);
      i += 2;
    } else {
      a.push_back(b[i++]);
    }
  }
  // ([0-9])(-) -> "\1 \2 "
  b.clear();
  for (size_t i = 0, n = a.size(); i < n;) {
    if (i + 1 < n && is_digit(a[i]) && a[i + 1] == U'-') {
      b.push_back(a[i]);
      b.push_back(U' ');
      b.push_back(U'-');
      b.push_back(U' ');
      i += 2;
    } else {
      b.push_back(a[i++]);
    }
  }
  append_normalized_spaces(b, out);
}

void TokenizerNone::tokenize(std::u32string_view line, std::u32string& out) const {
  out.append(line);
}

void TokenizerChar::tokenize(std::u32string_view line, std::u32string& out) const {
  // sacrebleu: " ".join(line); whitespace characters then vanish in the word split.
  bool first = true;
  for (char32_t c : line) {
    if (!first) out.push_back(U' ');
    out.push_back(c);
    first = false;
  }
}

std::unique_ptr<Tokenizer> make_tokenizer(const std::string& name) {
  if (name == "none") return std::make_unique<TokenizerNone>();
  if (name == "13a") return std::make_unique<Tokenizer13a>();
  if (name == "intl") return std::make_unique<TokenizerIntl>();
  if (name == "char") return std::make_unique<TokenizerChar>();
  if (name == "zh") return std::make_unique<TokenizerZh>();
  throw Error("unknown tokenizer '{}' (choose none, 13a, intl, char or zh)", name);
}

}  // namespace moemt::eval
