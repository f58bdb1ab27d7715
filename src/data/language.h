// Language registry: ISO 639-1/639-3 codes, FLORES-200 codes, gettext locales, script and
// family/branch of every language moemt knows; corpus building and MoE routing group by it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace moemt::data {

struct Language {
  std::string iso1;                          // ISO 639-1, e.g. "de"
  std::string iso3;                          // ISO 639-3, e.g. "deu"
  std::string flores;                        // FLORES-200 code, e.g. "deu_Latn"
  std::vector<std::string> gettext_locales;  // catalog locales, preferred first: {"pt_BR","pt"}
  std::string name;                          // English name
  std::string script;                        // ISO 15924: Latn, Cyrl, Grek, Jpan, Hans, Hang, ...
  std::string family;                        // e.g. "Indo-European", "Uralic"
  std::string branch;                        // e.g. "Romance", "Finnic"
};

class LanguageRegistry {
 public:
  // The registry compiled into the binary (identical to corpora/languages.tsv).
  static const LanguageRegistry& builtin();
  // The TSV text the built-in registry was parsed from.
  static std::string_view builtin_tsv();
  // Reads a registry TSV (header line, '#' comments); throws moemt::Error with path:line.
  static LanguageRegistry load(const std::string& path);
  static LanguageRegistry parse(std::string_view tsv, const std::string& origin);

  // Accepts an ISO 639-1, ISO 639-3 or FLORES code (case-insensitive); throws moemt::Error
  // listing the known codes when `code` is unknown.
  const Language& get(std::string_view code) const;
  const Language* find(std::string_view code) const;  // nullptr when unknown
  bool contains(std::string_view code) const { return find(code) != nullptr; }

  const std::vector<Language>& all() const { return langs_; }
  // Family name -> FLORES codes of its languages, in registry order.
  std::map<std::string, std::vector<std::string>> families() const;
  // "Family/Branch" -> FLORES codes.
  std::map<std::string, std::vector<std::string>> branches() const;
  // Space-separated iso1 codes, for error messages.
  std::string known_codes() const;

 private:
  std::vector<Language> langs_;
  std::map<std::string, size_t> index_;  // lower-cased code -> position in langs_
};

}  // namespace moemt::data
