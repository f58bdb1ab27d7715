// A trained model ready for decoding: config, parameters and vocabulary read from a
// checkpoint directory, with the checks `-m DIR` needs.
#pragma once

#include <memory>
#include <string>

#include "data/vocab.h"
#include "model/model.h"

namespace moemt::decode {

struct LoadedModel {
  std::unique_ptr<model::Model> model;
  data::Vocab vocab;
  std::string dir;
  // Model language id of any registry code ("de", "deu", "deu_Latn"); throws Error listing the
  // model's languages when the model does not know it.
  int32_t lang_id(const std::string& code) const;
};

// Throws Error naming the directory/file when it is not a moemt model or is damaged.
LoadedModel load_model(const std::string& dir, Device device = Device::cpu());

}  // namespace moemt::decode
