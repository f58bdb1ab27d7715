// Checkpoint directory I/O.
#include "train/checkpoint.h"

#include <unistd.h>

#include "core/file_io.h"
#include "model/checkpoint.h"

namespace moemt::train {

void save_checkpoint(const std::string& dir, const CheckpointContents& c) {
  std::string tmp = dir + ".writing." + std::to_string(::getpid());
  make_dirs(tmp);
  model::save_model_files(tmp, c.model->config(), c.model->params(), *c.vocab_bytes);
  save_safetensors(tmp + "/" + kOptimizerFile,
                   {{"adam.m", c.adam->m()}, {"adam.v", c.adam->v()}},
                   {{"steps", std::to_string(c.adam->steps())},
                    {"params", std::to_string(c.model->params().numel())}});
  write_file_atomic(tmp + "/" + kStateFile, c.state.dump(2) + "\n");
  if (!c.train_yaml.empty()) write_file_atomic(tmp + "/" + kTrainConfigFile, c.train_yaml);
  replace_dir_atomic(tmp, dir);
}

nlohmann::json load_checkpoint(const std::string& dir, model::Seq2Seq& model, Adam& adam) {
  model::load_params(dir, model.params());
  std::string opt_path = dir + "/" + kOptimizerFile;
  SafetensorsFile opt = load_safetensors(opt_path);
  const Tensor& m = opt.at("adam.m");
  const Tensor& v = opt.at("adam.v");
  if (m.numel() != adam.m().numel() || v.numel() != adam.v().numel())
    throw Error("{}: optimizer state has {} values, the model has {} parameters", opt_path,
                m.numel(), adam.m().numel());
  adam.m().copy_from(m);
  adam.v().copy_from(v);
  try {
    adam.set_steps(std::stoll(opt.metadata.at("steps")));
  } catch (const std::exception&) {
    throw Error("{}: missing or bad 'steps' metadata", opt_path);
  }
  std::string state_path = dir + "/" + kStateFile;
  try {
    return nlohmann::json::parse(read_file(state_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error("{}: corrupt training state ({})", state_path, e.what());
  }
}

}  // namespace moemt::train
