// `moemt eval` below the CLI: plan the directions, translate them (inputs grouped by target
// language for batching), score each with BLEU and chrF++, and write the report files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "corpus/multiway.h"
#include "decode/loaded_model.h"
#include "moe/routing_stats.h"
#include "report/eval_options.h"
#include "report/eval_report.h"

namespace moemt::report {

struct EvalRun {
  EvalReport report;
  std::map<std::string, std::vector<std::string>> hypotheses;  // direction_key -> lines
  // With EvalOptions::expert_usage: routing of every final translation, by language.
  moe::RoutingStats expert_usage;
  std::vector<std::string> languages;  // the model's language codes, by id
};

// Scores one direction the way `moemt score` / sacrebleu score files: lines right-stripped,
// BLEU with the target's tokenizer (char for ja/zh/ko), chrF++ (word order 2).
DirectionResult score_direction(const Direction& dir, std::vector<std::string>& hyps,
                                const std::vector<std::string>& refs);

// Runs the whole evaluation; progress goes to stderr.
EvalRun run_eval(const EvalOptions& o, decode::LoadedModel& model);

// Writes report.md, report.json and hyp.<src>-<tgt>.txt into `dir` (created if missing), and
// experts.md, experts.html and experts.json when the run recorded expert usage.
void write_outputs(const EvalRun& run, const std::string& dir);

}  // namespace moemt::report
