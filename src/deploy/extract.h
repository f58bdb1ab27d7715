// `moemt extract`: a deployment sub-model that keeps the shared parameters and only the experts
// that some languages can reach — exactly for routing by source/target group, by measured
// coverage on a sample for learned group gates. The result is a normal model directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/parallel.h"
#include "decode/loaded_model.h"
#include "model/config.h"

namespace moemt::deploy {

struct ExtractOptions {
  // The languages the sub-model serves (FLORES codes of the model): targets, and sources where
  // some stack routes by source group or by a learned gate.
  std::vector<std::string> langs;
  // Learned group gates: a group is kept when it gets at least this share of a layer's routed
  // sample tokens in some MoE layer of its stack.
  double min_group_share = 0.01;
  // Learned group gates: sentence pairs (both languages among `langs`) run teacher-forced
  // through the full model to see which groups the gates pick.
  std::vector<data::Example> sample;
};

// One MoE layer with a learned group gate: the groups its gate picked on the sample.
struct LayerCoverage {
  std::string layer;
  int64_t tokens = 0;
  std::vector<double> group_share;  // (G) share of the layer's sample tokens per group
  double outside = 0;  // share of tokens whose group the sub-model leaves out (they are re-routed)
};

struct ExtractPlan {
  model::ModelConfig config;            // the sub-model's
  std::vector<LayerCoverage> coverage;  // learned layers only
  int64_t sample_pairs = 0;             // pairs of the sample used
  // Whether every output of the sub-model on its languages equals the full model's (no
  // learned gate left a group out).
  bool exact = true;
};

// Resolves language codes (de, deu, deu_Latn) to the model's FLORES codes; Error naming the
// code and the model's languages otherwise.
std::vector<std::string> resolve_languages(const model::ModelConfig& cfg,
                                           const std::vector<std::string>& codes);
// The languages of group `name` (a value of the model's language-groups, or its last
// "/"-separated part: "Romance" matches "Indo-European/Romance"); Error listing the groups.
std::vector<std::string> group_languages(const model::ModelConfig& cfg, const std::string& name);

// Decides what the sub-model keeps. Errors: no languages, a language the (sub-)model does not
// serve, a learned gate without a sample.
ExtractPlan plan_extract(decode::LoadedModel& full, const ExtractOptions& opt);

struct ExtractSizes {
  int64_t params = 0;        // parameters (f32 values)
  int64_t file_bytes = 0;    // model.safetensors
  int64_t weight_bytes = 0;  // the flat parameter buffer a process holds after loading
};

// Writes the sub-model to `out_dir` (a new or empty folder, or a moemt model to replace; built
// under a temporary name and swapped in): model files, and when `full_dir` holds training
// state, the optimizer moments of the kept parameters, state.json and train.yml, so
// `moemt train --resume` continues training it. Returns the sub-model's sizes.
ExtractSizes write_submodel(decode::LoadedModel& full, const ExtractPlan& plan,
                            const std::string& out_dir);

// The sizes of a model directory's parameters and file.
ExtractSizes model_sizes(decode::LoadedModel& m);

}  // namespace moemt::deploy
