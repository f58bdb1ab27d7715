// Model files inside a checkpoint directory: model.safetensors (parameters by name),
// config.yml (ModelConfig) and vocab.spm (the sentencepiece model). Training state
// (optimizer, data position) is written by train/ into the same directory.
#pragma once

#include <string>

#include "core/param_store.h"
#include "core/safetensors.h"
#include "model/config.h"

namespace moemt::model {

inline constexpr const char* kParamsFile = "model.safetensors";
inline constexpr const char* kConfigFile = "config.yml";
inline constexpr const char* kVocabFile = "vocab.spm";

// Writes the three model files into `dir` (which must exist), each atomically.
void save_model_files(const std::string& dir, const ModelConfig& config, const ParamStore& params,
                      const std::string& vocab_bytes);

// True when `dir` holds a moemt model (config.yml and model.safetensors).
bool is_model_dir(const std::string& dir);

// Reads config.yml; throws Error naming the file when `dir` is not a moemt model directory.
ModelConfig load_model_config(const std::string& dir);

// Copies every parameter of `store` from `dir`/model.safetensors (those it holds: see
// ParamStore::set_remote); a missing tensor or a shape mismatch is an Error naming the file and
// tensor.
void load_params(const std::string& dir, ParamStore& store);

// Inference on the CPU: finalizes `store` (not finalized yet) with every parameter a view of
// one flat copy of the weights (checks and checksum as load_params), without the gradient
// buffer that finalize() allocates: half the memory of training's layout.
void load_params_for_inference(const std::string& dir, ParamStore& store);

// Inference without a copy: finalizes `store` (not finalized yet) with every parameter a view
// of a read-only memory mapping of `dir`/model.safetensors, so a process reads from disk only
// the pages of the parameters it uses (experts it never routes to stay on disk). The same
// checks as load_params, except the data checksum (it would read every page). CPU only.
void map_params(const std::string& dir, ParamStore& store);

std::string load_vocab_bytes(const std::string& dir);

}  // namespace moemt::model
