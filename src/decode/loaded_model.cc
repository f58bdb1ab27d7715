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

namespace {
int32_t served_id(const LoadedModel& m, const std::string& code, bool target) {
  const int32_t id = m.lang_id(code);
  const auto& cfg = m.model->config();
  const std::string& name = cfg.languages[id];
  if (target ? cfg.serves_tgt(name) : cfg.serves_src(name)) return id;
  const auto& served = target ? cfg.tgt_languages : cfg.src_languages;
  throw Error(
      "language '{}' is not served by this sub-model as a {} language (it holds the experts of "
      "{} only; `moemt extract` left the others out): use the full model",
      code, target ? "target" : "source", fmt::format("{}", fmt::join(served, ", ")));
}
}  // namespace

int32_t LoadedModel::src_lang_id(const std::string& code) const {
  return served_id(*this, code, false);
}
int32_t LoadedModel::tgt_lang_id(const std::string& code) const {
  return served_id(*this, code, true);
}
bool LoadedModel::restricts_src() const { return !model->config().src_languages.empty(); }

LoadedModel load_model(const std::string& dir, Device device, LoadMode mode) {
  LoadedModel m;
  m.dir = dir;
  model::ModelConfig cfg = model::load_model_config(dir);
  m.vocab =
      data::Vocab::from_serialized(model::load_vocab_bytes(dir), dir + "/" + model::kVocabFile);
  if (m.vocab.size() != cfg.vocab_size)
    throw Error("{}/{}: vocabulary has {} pieces but the model was built for {}", dir,
                model::kVocabFile, m.vocab.size(), cfg.vocab_size);
  m.model = model::make_model(cfg);
  if (mode == LoadMode::mmap) {
    if (!device.is_cpu())
      throw Error("--mmap loads parameters for the CPU only; drop it to load onto {}",
                  device.str());
    model::map_params(dir, m.model->params());
    return m;
  }
  if (device.is_cpu()) {
    model::load_params_for_inference(dir, m.model->params());  // no gradient buffer
    return m;
  }
  m.model->finalize(device, 0, /*initialize=*/false);  // load_params sets every parameter
  model::load_params(dir, m.model->params());
  return m;
}

}  // namespace moemt::decode
