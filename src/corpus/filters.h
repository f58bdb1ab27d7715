// Cleaning of (English, translation) pairs taken from catalogs: accelerator stripping,
// NFC, whitespace, and the drop rules (placeholders, script, length ratio, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "data/language.h"

namespace moemt::corpus {

// Why a pair was dropped; the names appear in stats.json and the data card.
enum class Drop {
  kUntranslated,         // empty msgstr
  kInvalidUtf8,          // bytes not valid in the declared charset / UTF-8
  kControlChars,         // C0/C1 controls (other than tab/newline) or U+FFFD
  kEmpty,                // nothing left after accelerator and whitespace cleanup
  kNoLetters,            // the English side has < 2 letters ("%s: %s", "---", "A")
  kIdentifier,           // the English side is a key, not text ("gtk-ok", "calendar:MY")
  kTooLong,              // a side longer than FilterOptions::max_chars code points
  kIdentical,            // target == source, not a short Latin-script word
  kWrongScript,          // target letters not mostly in the language's script
  kPlaceholderMismatch,  // format specifiers / markup differ between the sides
  kLengthRatio,          // target/source length ratio out of bounds
  kDuplicate,            // the same pair seen before (counted by the builder)
  kHeldOut,              // English side is a dev/devtest sentence (counted by the builder)
  kCount
};
const char* drop_name(Drop d);

struct FilterOptions {
  int max_chars = 500;         // per side, code points
  double min_ratio = 1.0 / 3;  // target/source code points (alphabetic scripts)
  double max_ratio = 3.0;
  double cjk_min_ratio = 0.1;  // targets in Jpan/Hans/Hant/Hang
  double cjk_max_ratio = 2.0;
  int ratio_min_chars = 12;          // the ratio is checked when the longer side has this many
  double min_script_fraction = 0.5;  // letters of the expected script among all letters
  int identical_max_words = 2;       // "Status" -> "Status" is fine in a Latin-script language
};

struct CleanPair {
  std::string source, target;
};

// Applies the whole pipeline to one catalog pair; returns the cleaned pair or the reason.
std::variant<CleanPair, Drop> clean_pair(std::string_view source, std::string_view target,
                                         const data::Language& target_lang,
                                         const FilterOptions& opt);

// --- building blocks, exposed for tests ---

// The accelerator marker ('_', '&' or '~') used by `source`, or 0 when it has none. A marker
// counts when exactly one occurrence precedes a letter or digit.
char detect_accelerator(std::string_view source);
// Removes the accelerator `marker` from `s`: "(_F)" / "(&F)" forms (CJK style) first, else one
// marker before a letter or digit. `s` is returned unchanged when marker is 0.
std::string strip_accelerator(std::string_view s, char marker);

// Canonical, sorted tokens for format specifiers (printf incl. positional "%2$s", Python
// "%(name)s", Qt/KDE "%1", brace "{0}"/"{name}", shell "${x}"), markup tags (by name) and
// entities. Two sides match when their token lists are equal.
std::vector<std::string> placeholders(std::string_view s);

// `s` without the placeholder and markup tokens (for letter counts).
std::string text_without_placeholders(std::string_view s);

std::string nfc(std::string_view s);
// Trims and collapses every run of Unicode whitespace into one ASCII space.
std::string collapse_whitespace(std::string_view s);
bool has_control_chars(std::string_view s);
int64_t count_code_points(std::string_view s);
// Fraction of letters of `s` written in `script` (ISO 15924); -1 when `s` has no letters.
double script_fraction(std::string_view s, const std::string& script);
int count_words(std::string_view s);
int64_t count_letters(std::string_view s);

}  // namespace moemt::corpus
