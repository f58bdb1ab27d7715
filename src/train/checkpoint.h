// Training checkpoints: the model files plus optimizer.safetensors (Adam moments; with
// exponential smoothing also the raw training weights, as the model files hold the average) and
// state.json (update count, data position, best validation scores, routing statistics).
// The whole directory is built under a temporary name and swapped in atomically.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "model/model.h"
#include "train/optimizer.h"

namespace moemt::train {

inline constexpr const char* kOptimizerFile = "optimizer.safetensors";
inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kTrainConfigFile = "train.yml";
// Tensor of optimizer.safetensors with the unsmoothed weights training continues from.
inline constexpr const char* kRawParamsTensor = "params.raw";

struct CheckpointContents {
  model::Model* model = nullptr;
  const std::string* vocab_bytes = nullptr;
  Adam* adam = nullptr;
  nlohmann::json state;    // trainer state
  std::string train_yaml;  // the effective training options, for reference
  // With exponential smoothing the model's parameters hold the average while saving, and this
  // the raw weights (the flat parameter layout); null without smoothing.
  const Tensor* raw_params = nullptr;
};

// Throws Error unless `dir` may be (re)written as a checkpoint: it does not exist, is an empty
// folder, or holds a moemt model. Anything else (a user's folder, a file) is never replaced.
void check_checkpoint_target(const std::string& dir, const char* option = "--model");

// Writes `dir` atomically: readers see the previous checkpoint or this one, never a mix.
void save_checkpoint(const std::string& dir, const CheckpointContents& c);

// Restores parameters, optimizer moments and returns state.json. Errors name the file. The
// model gets the weights training continues from (the raw ones of a smoothed checkpoint). With
// `average` (smoothing on now) it gets the checkpoint's average, or a copy of the weights when
// the checkpoint was trained without smoothing. With expert parallelism (a store with remote
// parameters) each rank takes its own experts' parts of the checkpoint's full buffers.
nlohmann::json load_checkpoint(const std::string& dir, model::Model& model, Adam& adam,
                               Tensor* average = nullptr);

}  // namespace moemt::train
