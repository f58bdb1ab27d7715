// Model loading for translate/eval.
#include "decode/loaded_model.h"

#include "data/language.h"
#include "model/checkpoint.h"

namespace moemt::decode {

int32_t LoadedModel::lang_id(const std::string& code) const {
  const auto& cfg = model->config();
  const auto* lang = data::LanguageRegistry::builtin().find(code);
  int id = cfg.lang_id(lang ? lang->flores : code);
  if (id < 0)
    throw Error("language '{}' is not one of this model's languages ({})", code,
                fmt::format("{}", fmt::join(cfg.languages, ", ")));
  return id;
}

LoadedModel load_model(const std::string& dir, Device device) {
  LoadedModel m;
  m.dir = dir;
  model::ModelConfig cfg = model::load_model_config(dir);
  m.vocab =
      data::Vocab::from_serialized(model::load_vocab_bytes(dir), dir + "/" + model::kVocabFile);
  if (m.vocab.size() != cfg.vocab_size)
    throw Error("{}/{}: vocabulary has {} pieces but the model was built for {}", dir,
                model::kVocabFile, m.vocab.size(), cfg.vocab_size);
  m.model = model::make_model(cfg);
  m.model->finalize(device, 0, /*initialize=*/false);  // load_params sets every parameter
  model::load_params(dir, m.model->params());
  return m;
}

}  // namespace moemt::decode
