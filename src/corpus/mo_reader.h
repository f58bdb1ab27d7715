// Reader for compiled gettext catalogs (.mo files, either byte order): entries with context,
// plural forms and the header's charset (converted to UTF-8 through ICU) and Plural-Forms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corpus/plural_forms.h"

namespace moemt::corpus {

struct MoEntry {
  std::string context;              // msgctxt, "" when absent
  std::string msgid;                // singular source text
  std::string msgid_plural;         // "" unless a plural entry
  std::vector<std::string> msgstr;  // one string, or one per plural form
  bool is_plural() const { return !msgid_plural.empty(); }
};

struct MoCatalog {
  std::string path;
  bool big_endian = false;
  uint32_t revision = 0;
  std::string header;   // the msgstr of the "" entry, converted to UTF-8
  std::string charset;  // as declared in the header ("UTF-8" when absent)
  PluralForms plural_forms;
  std::vector<MoEntry> entries;  // header excluded, in file order (sorted by msgid)
  int64_t invalid_utf8 = 0;      // entries dropped because they were not valid UTF-8
};

// Parses a .mo image; throws moemt::Error "<path>: ..." for wrong magic, truncation,
// out-of-range offsets, an unknown major revision or an unknown charset.
MoCatalog parse_mo(std::string_view bytes, const std::string& path);
MoCatalog read_mo(const std::string& path);

// The header field `name` ("Content-Type", "Plural-Forms", ...), "" when absent.
std::string header_field(std::string_view header, std::string_view name);

}  // namespace moemt::corpus
