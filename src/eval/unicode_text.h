// Unicode helpers for the metrics: UTF-8 <-> UTF-32, Python-compatible whitespace, splitting,
// stripping and lowercasing, so tokenisation matches sacrebleu (which works on Python str).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moemt::eval {

// Decodes strict UTF-8 (no overlongs, surrogates or values > U+10FFFF), like Python's
// "utf-8" codec. Returns false on invalid input and sets *bad_offset to the first bad byte.
bool decode_utf8(std::string_view in, std::u32string& out, size_t* bad_offset = nullptr);
// Decodes or throws moemt::Error naming `what` (e.g. "hypothesis line 3").
std::u32string decode_utf8_or_throw(std::string_view in, const std::string& what);
void append_utf8(char32_t c, std::string& out);
// Checks strict UTF-8 without decoding; *bad_offset gets the first bad byte.
bool valid_utf8(std::string_view in, size_t* bad_offset = nullptr);
// Python's str.rstrip() on valid UTF-8 text.
std::string_view rstrip_py_utf8(std::string_view s);
std::string encode_utf8(std::u32string_view in);

// Python's str.isspace(): the set str.split() and str.strip() use.
inline bool is_py_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::u32string_view rstrip_py(std::u32string_view s);
std::u32string_view strip_py(std::u32string_view s);
// Python's str.split() with no argument: runs of whitespace separate, no empty pieces.
void split_py(std::u32string_view s, std::vector<std::u32string_view>& out);
// ' '.join(s.split()) appended to `out`.
void append_normalized_spaces(std::u32string_view s, std::u32string& out);

// Python's str.lower(): full Unicode lowercase mapping (via ICU, root locale, so final
// sigma is handled as Python does).
std::u32string to_lower(std::u32string_view s);

// Unicode general categories through ICU (u_charType): any Number, Punctuation, Symbol.
bool is_unicode_number(char32_t c);
bool is_unicode_punct(char32_t c);
bool is_unicode_symbol(char32_t c);

// Replaces every non-overlapping occurrence of `from`, left to right (Python str.replace).
void replace_all(std::u32string& s, std::u32string_view from, std::u32string_view to);

}  // namespace moemt::eval
