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
  // The same for a source / target language, also refusing languages that a sub-model
  // (`moemt extract`) does not serve, with one line naming the ones it does.
  int32_t src_lang_id(const std::string& code) const;
  int32_t tgt_lang_id(const std::string& code) const;
  // True when a sub-model serves only some source languages (translate then needs --from).
  bool restricts_src() const;
};

// How parameters come into memory. eager: read and copied into one buffer, data checksum
// verified. mmap (CPU only): views of a read-only mapping of model.safetensors, paged in when
// first used (start-up reads only the header; experts never routed to are never read); the
// data checksum is not verified.
enum class LoadMode : uint8_t { eager, mmap };

// Throws Error naming the directory/file when it is not a moemt model or is damaged.
LoadedModel load_model(const std::string& dir, Device device = Device::cpu(),
                       LoadMode mode = LoadMode::eager);

}  // namespace moemt::decode
