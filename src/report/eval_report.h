// The result of `moemt eval`: scores per direction, averages (en->X, X->en, X->Y, per family
// and branch), and their JSON and Markdown forms; reading a saved report back for
// `--compare`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/language.h"
#include "report/plan.h"

namespace moemt::report {

struct DirectionResult {
  Direction dir;
  int64_t n = 0;              // sentences scored
  double bleu = 0, chrf = 0;  // chrF2++ (word order 2)
  std::string bleu_signature, chrf_signature;
  double seconds = 0;         // decoding time attributed to this direction
  int64_t output_tokens = 0;  // subword tokens produced
};

struct EvalReport {
  std::string model_dir, set_dir, split;
  int64_t sentences = 0;                               // lines of the set used per direction
  nlohmann::json settings = nlohmann::json::object();  // beam size, normalize, batching, ...
  std::vector<DirectionResult> directions;
  double seconds = 0;  // whole decoding time
};

// One averaged row: name ("en→X", "X→en", "X→Y", "→ Romance", ...), how many directions, means.
struct Average {
  std::string name;
  int directions = 0;
  double bleu = 0, chrf = 0;
};

// Unweighted means over directions: all, en->X, X->en, X->Y (each only when present), each
// followed by its means per family of the non-English side (the target of en->X and X->Y, the
// source of X->en) when there are several families, and per branch of a family that has
// several.
std::vector<Average> averages(
    const EvalReport& r, const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

nlohmann::json to_json(const EvalReport& r,
                       const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());
// Reads what to_json wrote; throws Error naming `origin` on missing or ill-typed fields.
EvalReport report_from_json(const nlohmann::json& j, const std::string& origin);
EvalReport load_report(const std::string& path);

// "| direction | BLEU | chrF++ | n | sent/s |" rows, then the averages, then the signatures.
std::string to_markdown(const EvalReport& r,
                        const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());

// `--compare`: one row per (direction or average, metric) present in both reports.
struct Delta {
  std::string row;     // "eng_Latn-deu_Latn" or an average's name
  std::string metric;  // "BLEU" or "chrF++"
  double self = 0, other = 0;
  double delta() const { return self - other; }
};
struct Comparison {
  std::vector<Delta> deltas;
  std::vector<std::string> only_self, only_other;  // directions found in one report only
  std::vector<std::string> signature_mismatch;     // directions scored with other settings
};
Comparison compare(const EvalReport& self, const EvalReport& other,
                   const data::LanguageRegistry& reg = data::LanguageRegistry::builtin());
std::string comparison_markdown(const Comparison& c);
// {"other": path, "deltas": [{row, metric, this, other, delta}], "only_this", "only_other",
// "settings_differ"}.
nlohmann::json comparison_json(const Comparison& c, const std::string& other_path);

// "eng_Latn-deu_Latn", the key of a direction in JSON and file names.
std::string direction_key(const Direction& d);

}  // namespace moemt::report
