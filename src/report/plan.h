// Planning of `moemt eval`: the direction spec parsed from text, then expanded into concrete
// source->target pairs among the languages both the model and the evaluation set have.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/language.h"
#include "report/eval_options.h"

namespace moemt::report {

inline constexpr const char* kPivot = "eng_Latn";

enum class DirectionKind { kEnX, kXEn, kXY };
std::string kind_name(DirectionKind k);  // "en-x", "x-en", "x-y"

struct Direction {
  std::string src, tgt;  // FLORES codes
  DirectionKind kind = DirectionKind::kXY;
  bool operator==(const Direction&) const = default;
};

// "en-x,x-en,x-y" and/or explicit pairs such as "de-fr" or "deu_Latn-fra_Latn" (any registry
// code). Throws Error naming an entry that is neither.
DirectionSpec parse_direction_spec(
    const std::string& text, const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

// Expands `spec` over model ∩ set languages (FLORES codes, model order kept). English must be
// in both for en-x/x-en; explicit pairs must be in both (the error lists what is missing).
// X->Y: all ordered pairs, or `xy_sample` of them drawn with `seed` (same seed, same pairs).
// Order: en-x, x-en, x-y (sorted), then explicit pairs (classified by whether English is
// their source or target); duplicates removed.
std::vector<Direction> plan_directions(const DirectionSpec& spec,
                                       const std::vector<std::string>& model_langs,
                                       const std::vector<std::string>& set_langs, int xy_sample,
                                       uint64_t seed);

// BLEU tokenizer for a target language: "char" for Japanese, Chinese and Korean, else "13a".
std::string bleu_tokenizer_for(
    const std::string& tgt, const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

}  // namespace moemt::report
