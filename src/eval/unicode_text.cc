// Unicode helpers for the metrics (see unicode_text.h).
#include "eval/unicode_text.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include "core/error.h"

namespace moemt::eval {

namespace {

// Decodes one multi-byte sequence at p (lead byte >= 0x80); returns its length, or 0 when
// invalid (overlong, surrogate, past U+10FFFF, truncated), as Python's strict codec.
int decode_one(const unsigned char* p, size_t avail, char32_t* out) {
  unsigned char b = p[0];
  int len;
  char32_t c;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
    c = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    c = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    c = b & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(len) > avail) return 0;
  for (int k = 1; k < len; ++k) {
    unsigned char t = p[k];
    if ((t & 0xC0) != 0x80) return 0;
    c = (c << 6) | (t & 0x3F);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10FFFF ||
      (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *out = c;
  return len;
}

}  // namespace

bool decode_utf8(std::string_view in, std::u32string& out, size_t* bad_offset) {
  out.clear();
  out.reserve(in.size());
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      out.push_back(p[i++]);
      continue;
    }
    char32_t c;
    int len = decode_one(p + i, n - i, &c);
    if (!len) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    out.push_back(c);
    i += len;
  }
  return true;
}

std::u32string decode_utf8_or_throw(std::string_view in, const std::string& what) {
  std::u32string out;
  size_t bad = 0;
  if (!decode_utf8(in, out, &bad)) throw Error("{}: invalid UTF-8 at byte {}", what, bad + 1);
  return out;
}

bool valid_utf8(std::string_view in, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    // Fast path over ASCII, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t c;
    int len = decode_one(p + i, n - i, &c);
    if (!len) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

std::string_view rstrip_py_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (!s.empty()) {
    unsigned char last = p[s.size() - 1];
    if (last < 0x80) {
      if (!is_py_space(last)) break;
      s.remove_suffix(1);
      continue;
    }
    // The last code point is multi-byte: find its lead byte and decode it.
    size_t start = s.size() - 1;
    while (start > 0 && (p[start] & 0xC0) == 0x80) --start;
    char32_t c;
    int len = decode_one(p + start, s.size() - start, &c);
    if (len != static_cast<int>(s.size() - start) || !is_py_space(c)) break;
    s.remove_suffix(len);
  }
  return s;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char32_t c : in) append_utf8(c, out);
  return out;
}

std::u32string_view rstrip_py(std::u32string_view s) {
  size_t e = s.size();
  while (e > 0 && is_py_space(s[e - 1])) --e;
  return s.substr(0, e);
}

std::u32string_view strip_py(std::u32string_view s) {
  s = rstrip_py(s);
  size_t b = 0;
  while (b < s.size() && is_py_space(s[b])) ++b;
  return s.substr(b);
}

void split_py(std::u32string_view s, std::vector<std::u32string_view>& out) {
  out.clear();
  size_t i = 0, n = s.size();
  while (i < n) {
    while (i < n && is_py_space(s[i])) ++i;
    if (i == n) break;
    size_t b = i;
    while (i < n && !is_py_space(s[i])) ++i;
    out.push_back(s.substr(b, i - b));
  }
}

void append_normalized_spaces(std::u32string_view s, std::u32string& out) {
  size_t i = 0, n = s.size();
  bool first = true;
  while (i < n) {
    while (i < n && is_py_space(s[i])) ++i;
    if (i == n) break;
    if (!first) out.push_back(U' ');
    first = false;
    while (i < n && !is_py_space(s[i])) out.push_back(s[i++]);
  }
}

std::u32string to_lower(std::u32string_view s) {
  bool ascii = true;
  for (char32_t c : s)
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  std::u32string out(s);
  if (ascii) {
    for (char32_t& c : out)
      if (c >= 'A' && c <= 'Z') c += 32;
    return out;
  }
  // ICU works on UTF-16; round-trip through it.
  std::u16string u16;
  u16.reserve(s.size() + 8);
  for (char32_t c : s) {
    if (c >= 0x10000) {
      u16.push_back(static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
      u16.push_back(static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
    } else {
      u16.push_back(static_cast<char16_t>(c));
    }
  }
  std::u16string low(u16.size() * 3 + 8, u'\0');
  UErrorCode err = U_ZERO_ERROR;
  int32_t len = u_strToLower(reinterpret_cast<UChar*>(low.data()), static_cast<int32_t>(low.size()),
                             reinterpret_cast<const UChar*>(u16.data()),
                             static_cast<int32_t>(u16.size()), "", &err);
  MOEMT_CHECK(U_SUCCESS(err), "u_strToLower failed: {}", u_errorName(err));
  out.clear();
  for (int32_t i = 0; i < len; ++i) {
    char32_t c = low[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < len) {
      char32_t d = low[i + 1];
      c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
      ++i;
    }
    out.push_back(c);
  }
  return out;
}

bool is_unicode_number(char32_t c) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}
bool is_unicode_punct(char32_t c) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_P_MASK) != 0;
}
bool is_unicode_symbol(char32_t c) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_S_MASK) != 0;
}

void replace_all(std::u32string& s, std::u32string_view from, std::u32string_view to) {
  if (from.empty() || s.size() < from.size()) return;
  size_t pos = s.find(from);
  if (pos == std::u32string::npos) return;
  std::u32string out;
  out.reserve(s.size());
  size_t start = 0;
  while (pos != std::u32string::npos) {
    out.append(s, start, pos - start);
    out.append(to);
    start = pos + from.size();
    pos = s.find(from, start);
  }
  out.append(s, start, std::u32string::npos);
  s.swap(out);
}

}  // namespace moemt::eval
