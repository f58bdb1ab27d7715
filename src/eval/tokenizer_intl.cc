// The mteval-v14 international tokenizer: Unicode categories come from ICU.
#include "eval/tokenizer.h"
#include "eval/unicode_text.h"

namespace moemt::eval {

void TokenizerIntl::tokenize(std::u32string_view line, std::u32string& out) const {
  std::u32string a, b;
  a.reserve(line.size() * 2 + 8);
  // (\P{N})(\p{P}) -> "\1 \2 "   (left-to-right, non-overlapping, as re.sub)
  for (size_t i = 0, n = line.size(); i < n;) {
    if (i + 1 < n && !is_unicode_number(line[i]) && is_unicode_punct(line[i + 1])) {
      a.push_back(line[i]);
      a.push_back(U' ');
      a.push_back(line[i + 1]);
      a.push_back(U' ');
      i += 2;
    } else {
      a.push_back(line[i++]);
    }
  }
  // (\p{P})(\P{N}) -> " \1 \2"
  b.reserve(a.size() * 2);
  for (size_t i = 0, n = a.size(); i < n;) {
    if (i + 1 < n && is_unicode_punct(a[i]) && !is_unicode_number(a[i + 1])) {
      b.push_back(U' ');
      b.push_back(a[i]);
      b.push_back(U' ');
      b.push_back(a[i + 1]);
      i += 2;
    } else {
      b.push_back(a[i++]);
    }
  }
  // (\p{S}) -> " \1 "
  a.clear();
  for (char32_t c : b) {
    if (is_unicode_symbol(c)) {
      a.push_back(U' ');
      a.push_back(c);
      a.push_back(U' ');
    } else {
      a.push_back(c);
    }
  }
  append_normalized_spaces(a, out);
}

}  // namespace moemt::eval
