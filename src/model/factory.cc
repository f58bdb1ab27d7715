// Model factory: config -> implementation.
#include "model/lstm_model.h"
#include "model/model.h"
#include "model/seq2seq.h"

namespace moemt::model {

std::unique_ptr<Model> make_model(const ModelConfig& config) {
  if (config.type == ModelType::lstm) return std::make_unique<LstmModel>(config);
  return std::make_unique<Seq2Seq>(config);
}

}  // namespace moemt::model
