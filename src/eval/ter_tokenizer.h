// The Tercom normaliser as sacrebleu implements it: lowercasing, optional Western
// punctuation normalisation, optional CJK splitting ("asian support"), punctuation removal.
#pragma once

#include <string>
#include <string_view>

namespace moemt::eval {

struct TerTokenizerOptions {
  bool normalized = false;
  bool no_punct = false;
  bool asian_support = false;
  bool case_sensitive = false;
};

// Returns the normalised line, words separated by single spaces.
std::u32string ter_tokenize(std::u32string_view line, const TerTokenizerOptions& opts);

}  // namespace moemt::eval
