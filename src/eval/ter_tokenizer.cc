// Tercom normalisation (see ter_tokenizer.h).
#include "eval/ter_tokenizer.h"

#include "eval/unicode_text.h"

namespace moemt::eval {
namespace {

inline bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
inline bool is_period_comma(char32_t c) { return c == U'.' || c == U','; }

// [{-~[-` -&(-+:-@/]
inline bool is_tercom_punct(char32_t c) {
  return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
         (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == 0x2F;
}

// Tercom's ASIAN_PUNCT and FULL_WIDTH_PUNCT classes.
inline bool is_asian_punct(char32_t c) {
  return c == 0x3001 || c == 0x3002 || (c >= 0x3008 && c <= 0x3011) ||
         (c >= 0x3014 && c <= 0x301F) || (c >= 0xFF61 && c <= 0xFF65) || c == 0x30FB;
}
inline bool is_full_width_punct(char32_t c) {
  return c == 0xFF0E || c == 0xFF0C || c == 0xFF1F || c == 0xFF1A || c == 0xFF1B || c == 0xFF01 ||
         c == 0xFF02 || c == 0xFF08 || c == 0xFF09;
}

// Every code point that one of the asian-support rules surrounds with spaces. The
// Hiragana/Katakana rules of the original are anchored so they can never fire on the padded
// line; the 3200-3F22 range covers those scripts anyway.
inline bool is_asian_split(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x31C0 && c <= 0x31EF) || (c >= 0x2E80 && c <= 0x2EFF) ||
         (c >= 0x3300 && c <= 0x33FF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0x3200 && c <= 0x3F22) || is_asian_punct(c) ||
         is_full_width_punct(c);
}

// A two-character rule (A)(B) -> replacement, applied left to right without overlap.
template <typename MatchA, typename MatchB, typename Emit>
void sub_pairs(const std::u32string& in, std::u32string& out, MatchA a, MatchB b, Emit emit) {
  out.clear();
  for (size_t i = 0, n = in.size(); i < n;) {
    if (i + 1 < n && a(in[i]) && b(in[i + 1])) {
      emit(in[i], in[i + 1], out);
      i += 2;
    } else {
      out.push_back(in[i++]);
    }
  }
}

void normalize_general_and_western(std::u32string& s) {
  replace_all(s, U"\n-", U"");
  replace_all(s, U"\n", U" ");
  replace_all(s, U"&quot;", U"\"");
  replace_all(s, U"&amp;", U"&");
  replace_all(s, U"&lt;", U"<");
  replace_all(s, U"&gt;", U">");
  std::u32string padded;
  padded.reserve(s.size() + 2);
  padded.push_back(U' ');
  padded.append(s);
  padded.push_back(U' ');
  std::u32string a;
  a.reserve(padded.size() * 3);
  for (char32_t c : padded) {
    if (is_tercom_punct(c)) {  // the class includes the space
      a.push_back(U' ');
      a.push_back(c);
      a.push_back(U' ');
    } else {
      a.push_back(c);
    }
  }
  // Possessives: "'s " -> " 's " ('s$ cannot match: the line ends with a space).
  replace_all(a, U"'s ", U" 's ");
  std::u32string b;
  sub_pairs(
      a, b, [](char32_t c) { return !is_digit(c); }, is_period_comma,
      [](char32_t x, char32_t y, std::u32string& o) {
        o += {x, U' ', y, U' '};
      });
  sub_pairs(
      b, a, is_period_comma, [](char32_t c) { return !is_digit(c); },
      [](char32_t x, char32_t y, std::u32string& o) {
        o += {U' ', x, U' ', y};
      });
  sub_pairs(
      a, b, is_digit, [](char32_t c) { return c == U'-'; },
      [](char32_t x, char32_t y, std::u32string& o) {
        o += {x, U' ', y, U' '};
      });
  s.swap(b);
}

}  // namespace

std::u32string ter_tokenize(std::u32string_view line, const TerTokenizerOptions& opts) {
  if (line.empty()) return {};
  std::u32string s = opts.case_sensitive ? std::u32string(line) : to_lower(line);
  if (opts.normalized) {
    normalize_general_and_western(s);
    if (opts.asian_support) {
      std::u32string a;
      a.reserve(s.size() * 2);
      for (char32_t c : s) {
        if (is_asian_split(c)) {
          a.push_back(U' ');
          a.push_back(c);
          a.push_back(U' ');
        } else {
          a.push_back(c);
        }
      }
      s.swap(a);
    }
  }
  if (opts.no_punct) {
    std::u32string a;
    a.reserve(s.size());
    for (char32_t c : s) {
      bool drop = c == U'.' || c == U',' || c == U'?' || c == U':' || c == U';' || c == U'!' ||
                  c == U'"' || c == U'(' || c == U')';
      if (opts.asian_support && (is_asian_punct(c) || is_full_width_punct(c))) drop = true;
      if (!drop) a.push_back(c);
    }
    s.swap(a);
  }
  std::u32string out;
  append_normalized_spaces(s, out);
  return out;
}

}  // namespace moemt::eval
