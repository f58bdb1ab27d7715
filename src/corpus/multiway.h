// Reader for FLORES-style multi-way sets (<dir>/<split>/<flores_code>.<split>, line i = the
// same sentence in every language): our built corpora and the real FLORES-200 directories.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/language.h"

namespace moemt::corpus {

struct MultiwaySet {
  std::string dir;                                        // the directory the files were read from
  std::string split;                                      // "dev" or "devtest"
  std::map<std::string, std::vector<std::string>> lines;  // FLORES code -> sentences
  std::vector<std::string> unknown_files;                 // files whose code is not in the registry
  size_t size() const { return lines.empty() ? 0 : lines.begin()->second.size(); }
  const std::vector<std::string>& get(const std::string& flores) const;
};

// Reads `split` from `dir`, which is either a corpus/FLORES root holding <split>/ or the split
// directory itself. `only` (any registry codes) restricts and requires languages; otherwise
// every file whose code the registry knows is read and the others are listed in unknown_files.
// Errors (moemt::Error): missing directory or language, unequal line counts, invalid UTF-8
// (path:line).
MultiwaySet load_multiway(const std::string& dir, const std::string& split,
                          const std::vector<std::string>& only = {},
                          const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

// Line counts of a corpus or FLORES directory, per language and split.
struct CorpusCounts {
  struct Row {
    int64_t train = -1, dev = -1, devtest = -1;  // -1 = absent
  };
  std::map<std::string, Row> rows;  // FLORES code -> counts
  std::vector<std::string> unknown_files;
  std::string source = "eng_Latn";  // the side shared by train pairs
};
CorpusCounts count_corpus(const std::string& dir,
                          const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

}  // namespace moemt::corpus
