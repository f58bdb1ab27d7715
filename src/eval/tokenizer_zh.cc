// The Chinese tokenizer: isolates CJK code points, then applies the 13a regex stage.
#include "eval/tokenizer.h"
#include "eval/unicode_text.h"

namespace moemt::eval {

bool TokenizerZh::is_chinese_char(char32_t c) {
  // These are the ranges sacrebleu's zh tokenizer matches in effect. Its table writes two
  // supplementary-plane ranges as '\u20000' and '\u2f800', which Python reads as two-character
  // strings; compared against one character they turn into U+2001..U+2A6D and U+2F81..U+2FA1
  // (the latter inside the Kangxi range). We reproduce that so scores stay identical.
  struct Range {
    char32_t lo, hi;
  };
  static constexpr Range kRanges[] = {
      {0x2001, 0x2A6D}, {0x2E80, 0x2FDF}, {0x2FF0, 0x303F}, {0x3100, 0x312F}, {0x31A0, 0x31EF},
      {0x3200, 0x4DB5}, {0x4E00, 0x9FBB}, {0xF900, 0xFA2D}, {0xFA30, 0xFA6A}, {0xFA70, 0xFAD9},
      {0xFE10, 0xFE1F}, {0xFE30, 0xFE4F}, {0xFF00, 0xFFEF}};
  if (c < 0x2001 || c > 0xFFEF) return false;
  for (const auto& r : kRanges)
    if (c >= r.lo && c <= r.hi) return true;
  return false;
}

void TokenizerZh::tokenize(std::u32string_view line, std::u32string& out) const {
  std::u32string_view s = strip_py(line);
  std::u32string chars;
  chars.reserve(s.size() * 3);
  for (char32_t c : s) {
    if (is_chinese_char(c)) {
      chars.push_back(U' ');
      chars.push_back(c);
      chars.push_back(U' ');
    } else {
      chars.push_back(c);
    }
  }
  regexp_post_tokenize(chars, out);
}

}  // namespace moemt::eval
