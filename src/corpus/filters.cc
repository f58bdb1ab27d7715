// Pair cleaning. Order of the checks decides which reason a pair is counted under; cheap and
// unambiguous checks (untranslated, control characters) come first.
#include "corpus/filters.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "core/error.h"

namespace moemt::corpus {
namespace {

bool ascii_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool ascii_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// A letter or digit starts at s[i] (non-ASCII lead bytes count as letters here).
bool letter_at(std::string_view s, size_t i) {
  return i < s.size() && (ascii_alnum(s[i]) || static_cast<unsigned char>(s[i]) >= 0xC0);
}

// "&amp;", "&#160;": an entity, not an accelerator.
bool entity_at(std::string_view s, size_t amp) {
  size_t i = amp + 1;
  if (i < s.size() && s[i] == '#') ++i;
  size_t start = i;
  while (i < s.size() && ascii_alnum(s[i])) ++i;
  return i > start && i < s.size() && s[i] == ';';
}

bool marker_candidate(std::string_view s, size_t i, char m) {
  if (s[i] != m || !letter_at(s, i + 1)) return false;
  if (m == '&' && entity_at(s, i)) return false;
  if (i > 0 && s[i - 1] == m) return false;  // "__" / "&&" are escapes for a literal
  return true;
}

std::vector<size_t> candidates(std::string_view s, char m) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if (marker_candidate(s, i, m)) out.push_back(i);
  return out;
}

// The whitespace-delimited word around byte i.
std::string_view word_at(std::string_view s, size_t i) {
  size_t a = i, b = i;
  while (a > 0 && !std::isspace(static_cast<unsigned char>(s[a - 1]))) --a;
  while (b < s.size() && !std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(a, b - a);
}

// The marker of a single accelerator at the start of a word ("&Zeit", "(_F)"), or 0. Used on
// translations whose English has none; "Drag&Drop" mid-word is left alone.
char word_initial_accelerator(std::string_view s) {
  for (char m : {'&', '_', '~'}) {
    auto c = candidates(s, m);
    if (c.size() != 1) continue;
    size_t i = c[0];
    if (i == 0 || (static_cast<unsigned char>(s[i - 1]) < 0x80 && !ascii_alnum(s[i - 1]) &&
                   s[i - 1] != '_' && s[i - 1] != '-' && s[i - 1] != '/' && s[i - 1] != '.'))
      return m;
  }
  return 0;
}

constexpr std::string_view kPrintfConv = "diouxXeEfFgGaAcspn";
constexpr std::string_view kLengthMods = "hlLqjzt";

// Parses the directive at s[i] == '%'; appends a token and returns the index after it.
size_t parse_percent(std::string_view s, size_t i, int* next_index, std::vector<std::string>* out) {
  size_t j = i + 1;
  if (j >= s.size()) return j;
  if (s[j] == '%') return j + 1;
  if (s[j] == '(') {  // Python named: %(name)s
    size_t close = s.find(')', j);
    if (close == std::string_view::npos) return j;
    size_t k = close + 1;
    while (k < s.size() && std::string_view("-+#0 .").find(s[k]) != std::string_view::npos) ++k;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
    if (k < s.size() && ascii_alpha(s[k])) {
      out->push_back(fmt::format("n:{}{}", s.substr(j + 1, close - j - 1), s[k]));
      return k + 1;
    }
    return j;
  }
  size_t k = j;
  while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
  int index = 0;
  if (k > j && k < s.size() && s[k] == '$') {  // positional printf: %2$s
    index = std::stoi(std::string(s.substr(j, k - j)));
    j = k + 1;
  } else if (k > j) {
    // Digits without '$': printf width ("%5d") when a conversion follows, else Qt/KDE "%1".
    size_t m = k;
    if (m < s.size() && s[m] == '.') {
      ++m;
      while (m < s.size() && std::isdigit(static_cast<unsigned char>(s[m]))) ++m;
    }
    while (m < s.size() && kLengthMods.find(s[m]) != std::string_view::npos) ++m;
    if (!(m < s.size() && kPrintfConv.find(s[m]) != std::string_view::npos &&
          !(m + 1 < s.size() && ascii_alpha(s[m + 1])))) {
      out->push_back(fmt::format("q:{}", s.substr(j, k - j)));
      return k;
    }
  }
  size_t m = j;
  while (m < s.size() && std::string_view("-+#0'I").find(s[m]) != std::string_view::npos) ++m;
  while (m < s.size() && (std::isdigit(static_cast<unsigned char>(s[m])) || s[m] == '*')) ++m;
  if (m < s.size() && s[m] == '.') {
    ++m;
    while (m < s.size() && (std::isdigit(static_cast<unsigned char>(s[m])) || s[m] == '*')) ++m;
  }
  size_t len_start = m;
  while (m < s.size() && kLengthMods.find(s[m]) != std::string_view::npos) ++m;
  if (m >= s.size() || !ascii_alpha(s[m])) return i + 1;  // a literal '%' ("50 %")
  char conv = s[m] == 'i' ? 'd' : s[m];
  if (kPrintfConv.find(s[m]) == std::string_view::npos) {
    // strftime-style "%Y": no argument, so order is free.
    out->push_back(fmt::format("f:{}", s[m]));
    return m + 1;
  }
  if (index == 0) index = (*next_index)++;
  out->push_back(fmt::format("p:{}:{}{}", index, s.substr(len_start, m - len_start), conv));
  return m + 1;
}

bool tag_name_char(char c) { return ascii_alnum(c) || c == ':' || c == '_' || c == '-'; }

const std::set<std::string, std::less<>>& void_tags() {
  static const std::set<std::string, std::less<>> t = {"br", "hr", "img", "input", "nl", "meta"};
  return t;
}

int64_t cp_count(std::string_view s) {
  int64_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// UScriptCode sets accepted for an ISO 15924 registry script.
std::vector<UScriptCode> accepted_scripts(const std::string& script) {
  if (script == "Jpan") return {USCRIPT_HIRAGANA, USCRIPT_KATAKANA, USCRIPT_HAN};
  if (script == "Hans" || script == "Hant") return {USCRIPT_HAN};
  if (script == "Hang" || script == "Kore") return {USCRIPT_HANGUL, USCRIPT_HAN};
  UErrorCode st = U_ZERO_ERROR;
  UScriptCode code = USCRIPT_INVALID_CODE;
  int32_t n = uscript_getCode(script.c_str(), &code, 1, &st);
  MOEMT_CHECK(U_SUCCESS(st) && n == 1, "unknown ISO 15924 script {}", script);
  return {code};
}

bool is_cjk_script(const std::string& s) {
  return s == "Jpan" || s == "Hans" || s == "Hant" || s == "Hang" || s == "Kore";
}

// Keys such as "gtk-ok", "calendar:MY", "org.gnome.Foo", "file_name".
bool looks_like_identifier(std::string_view s) {
  if (s.find(' ') != std::string_view::npos) return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if ((c == '_' || c == ':' || c == '/' || c == '@' || c == '=' || c == '.') &&
        ascii_alnum(s[i - 1]) && ascii_alnum(s[i + 1]))
      return true;
  }
  return false;
}

}  // namespace

const char* drop_name(Drop d) {
  static constexpr std::array<const char*, static_cast<size_t>(Drop::kCount)> kNames = {
      "untranslated", "invalid_utf8", "control_chars", "empty",        "no_letters",
      "identifier",   "too_long",     "identical",     "wrong_script", "placeholder_mismatch",
      "length_ratio", "duplicate",    "held_out"};
  return kNames[static_cast<size_t>(d)];
}

char detect_accelerator(std::string_view source) {
  for (char m : {'_', '&', '~'})
    if (candidates(source, m).size() == 1) return m;
  return 0;
}

std::string strip_accelerator(std::string_view s, char marker) {
  std::string out(s);
  if (marker == 0) return out;
  // CJK style: "ファイル(_F)", with or without a space before the parenthesis.
  for (size_t i = 0; i + 3 < out.size(); ++i) {
    if (out[i] == '(' && out[i + 1] == marker && ascii_alnum(out[i + 2]) && out[i + 3] == ')') {
      size_t start = (i > 0 && out[i - 1] == ' ') ? i - 1 : i;
      out.erase(start, i + 4 - start);
      return out;
    }
  }
  auto c = candidates(out, marker);
  if (c.size() == 1) out.erase(c[0], 1);
  return out;
}

namespace {

// Splits `s` into placeholder tokens (`out`; paired-tag candidates in `tags`) and the text
// between them (`text`, may be null).
void scan(std::string_view s, std::vector<std::string>& out,
          std::vector<std::pair<std::string, bool>>& tags, std::string* text) {
  int next_index = 1;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const size_t start = i, tokens_before = out.size() + tags.size();
    if (c == '%') {
      i = parse_percent(s, i, &next_index, &out);
    } else if (c == '{') {
      size_t close = s.find('}', i);
      size_t k = i + 1;
      while (k < s.size() &&
             (ascii_alnum(s[k]) || s[k] == '_' || s[k] == '.' || s[k] == ':' || s[k] == '!'))
        ++k;
      if (close != std::string_view::npos && k == close) {
        out.push_back(fmt::format("b:{}", s.substr(i + 1, close - i - 1)));
        i = close + 1;
      } else {
        ++i;
      }
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{' &&
               s.find('}', i) != std::string_view::npos) {
      size_t close = s.find('}', i);
      out.push_back(fmt::format("s:{}", s.substr(i + 2, close - i - 2)));
      i = close + 1;
    } else if (c == '$' && i + 1 < s.size() &&
               (std::isupper(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '_')) {
      size_t k = i + 1;
      while (k < s.size() && (std::isupper(static_cast<unsigned char>(s[k])) ||
                              std::isdigit(static_cast<unsigned char>(s[k])) || s[k] == '_'))
        ++k;
      out.push_back(fmt::format("s:{}", s.substr(i + 1, k - i - 1)));
      i = k;
    } else if (c == '<') {
      size_t k = i + 1;
      bool closing = k < s.size() && s[k] == '/';
      if (closing) ++k;
      size_t name_start = k;
      ++i;
      if (k < s.size() && ascii_alpha(s[k])) {
        while (k < s.size() && tag_name_char(s[k])) ++k;
        size_t gt = s.find('>', k);
        size_t lt = s.find('<', k);
        if (gt != std::string_view::npos && (lt == std::string_view::npos || gt < lt) &&
            (k == gt || s[k] == ' ' || s[k] == '/')) {
          std::string name(s.substr(name_start, k - name_start));
          bool self_closing = s[gt - 1] == '/';
          for (char& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (self_closing || void_tags().count(name))
            out.push_back("t:" + name + "/");
          else
            tags.emplace_back(name, closing);
          i = gt + 1;
        }
      }
    } else if (c == '&' && entity_at(s, i)) {
      size_t semi = s.find(';', i);
      out.push_back(fmt::format("e:{}", s.substr(i, semi - i + 1)));
      i = semi + 1;
    } else {
      ++i;
    }
    // "%%" is a literal percent sign: neither token nor letters.
    bool consumed = out.size() + tags.size() > tokens_before || s.substr(start, 2) == "%%";
    if (text && !consumed) text->append(s.substr(start, i - start));
  }
}

}  // namespace

std::string text_without_placeholders(std::string_view s) {
  std::vector<std::string> out;
  std::vector<std::pair<std::string, bool>> tags;
  std::string text;
  scan(s, out, tags, &text);
  return text;
}

std::vector<std::string> placeholders(std::string_view s) {
  std::vector<std::string> out;
  std::vector<std::pair<std::string, bool>> tags;  // name, closing
  scan(s, out, tags, nullptr);
  // Only tags that open and close in the same string are markup; a lone "<file>" in a usage
  // message is translatable text and may legitimately be translated.
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  for (const auto& tag : tags) {
    const std::string& name = tag.first;
    if (tag.second) continue;
    bool closed = std::any_of(tags.begin(), tags.end(),
                              [&](const auto& t) { return t.second && t.first == name; });
    if (closed) {
      out.push_back("t:" + name);
      out.push_back("t:/" + name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string nfc(std::string_view s) {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(st);
  MOEMT_CHECK(U_SUCCESS(st), "ICU NFC normalizer unavailable: {}", u_errorName(st));
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  if (n->isNormalized(u, st) && U_SUCCESS(st)) return std::string(s);
  st = U_ZERO_ERROR;
  icu::UnicodeString out = n->normalize(u, st);
  MOEMT_CHECK(U_SUCCESS(st), "NFC failed: {}", u_errorName(st));
  std::string r;
  out.toUTF8String(r);
  return r;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c >= 0 && (u_isUWhiteSpace(c) || c == '\t' || c == '\n' || c == '\r')) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(s.substr(start, i - start));
  }
  return out;
}

bool has_control_chars(std::string_view s) {
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0 || c == 0xFFFD) return true;
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;
  }
  return false;
}

int64_t count_code_points(std::string_view s) { return cp_count(s); }

double script_fraction(std::string_view s, const std::string& script) {
  std::vector<UScriptCode> ok = accepted_scripts(script);
  int64_t letters = 0, good = 0;
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0 || !u_isalpha(c)) continue;
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    if (sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED) continue;
    ++letters;
    if (std::find(ok.begin(), ok.end(), sc) != ok.end()) ++good;
  }
  return letters == 0 ? -1.0 : static_cast<double>(good) / static_cast<double>(letters);
}

int64_t count_letters(std::string_view s) {
  int64_t n = 0;
  int32_t i = 0, len = static_cast<int32_t>(s.size());
  while (i < len) {
    UChar32 c;
    U8_NEXT(s.data(), i, len, c);
    if (c >= 0 && u_isalpha(c)) ++n;
  }
  return n;
}

int count_words(std::string_view s) {
  int words = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::variant<CleanPair, Drop> clean_pair(std::string_view source, std::string_view target,
                                         const data::Language& lang, const FilterOptions& opt) {
  if (target.empty()) return Drop::kUntranslated;
  if (has_control_chars(source) || has_control_chars(target)) return Drop::kControlChars;

  char marker = detect_accelerator(source);
  if (marker == '_') {
    // "file_name" copied verbatim into the translation is an identifier, not a mnemonic (a
    // word-initial "_Aggregator" left unchanged by the translator still is one).
    size_t pos = candidates(source, '_')[0];
    if (pos > 0 && ascii_alnum(source[pos - 1]) &&
        target.find(word_at(source, pos)) != std::string_view::npos)
      marker = 0;
  }
  // Translators sometimes add a mnemonic the English lacks ("Mit &Kodierung speichern").
  if (marker == 0) marker = word_initial_accelerator(target);
  CleanPair p{collapse_whitespace(nfc(strip_accelerator(source, marker))),
              collapse_whitespace(nfc(strip_accelerator(target, marker)))};
  if (p.source.empty() || p.target.empty()) return Drop::kEmpty;
  double src_latin = script_fraction(p.source, "Latn");
  if (count_letters(text_without_placeholders(p.source)) < 2) return Drop::kNoLetters;
  if (looks_like_identifier(p.source)) return Drop::kIdentifier;
  int64_t ls = cp_count(p.source), lt = cp_count(p.target);
  if (ls > opt.max_chars || lt > opt.max_chars) return Drop::kTooLong;
  if (p.source == p.target &&
      !(lang.script == "Latn" && count_words(p.source) <= opt.identical_max_words))
    return Drop::kIdentical;
  // The source must be English (Latin script) and the target in the language's script.
  if (src_latin < opt.min_script_fraction) return Drop::kWrongScript;
  if (script_fraction(p.target, lang.script) < opt.min_script_fraction) return Drop::kWrongScript;
  if (placeholders(p.source) != placeholders(p.target)) return Drop::kPlaceholderMismatch;
  if (std::max(ls, lt) >= opt.ratio_min_chars) {
    double r = static_cast<double>(lt) / static_cast<double>(ls);
    bool cjk = is_cjk_script(lang.script);
    if (r < (cjk ? opt.cjk_min_ratio : opt.min_ratio) ||
        r > (cjk ? opt.cjk_max_ratio : opt.max_ratio))
      return Drop::kLengthRatio;
  }
  return p;
}

}  // namespace moemt::corpus
