// Checkpoint directory I/O.
#include "train/checkpoint.h"

#include <filesystem>

#include "core/file_io.h"
#include "model/checkpoint.h"

namespace moemt::train {

void check_checkpoint_target(const std::string& dir, const char* option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(dir, ec);
  if (!fs::exists(st)) return;
  if (!fs::is_directory(fs::status(dir, ec)))
    throw Error("{} {}: is a file, not a model directory; choose another path", option, dir);
  if (fs::is_empty(dir, ec) || model::is_model_dir(dir)) return;
  throw Error("{} {}: exists, is not empty and holds no moemt model ({} and {}); it is left "
              "untouched: choose another directory",
              option, dir, model::kConfigFile, model::kParamsFile);
}

void save_checkpoint(const std::string& dir, const CheckpointContents& c) {
  // Checked on every save, not only at start: the folder may have changed meanwhile, and the
  // swap below would otherwise delete whatever was there.
  check_checkpoint_target(dir);
  std::string tmp = temp_sibling(dir, "writing");
  make_dirs(tmp);
  model::save_model_files(tmp, c.model->config(), c.model->params(), *c.vocab_bytes);
  std::vector<NamedTensor> opt_tensors = {{"adam.m", c.adam->m()}, {"adam.v", c.adam->v()}};
  if (c.raw_params) opt_tensors.push_back({kRawParamsTensor, *c.raw_params});
  save_safetensors(tmp + "/" + kOptimizerFile, opt_tensors,
                   {{"steps", std::to_string(c.adam->steps())},
                    {"params", std::to_string(c.model->params().numel())}});
  write_file_atomic(tmp + "/" + kStateFile, c.state.dump(2) + "\n");
  if (!c.train_yaml.empty()) write_file_atomic(tmp + "/" + kTrainConfigFile, c.train_yaml);
  replace_dir_atomic(tmp, dir);
}

namespace {
// `full` is a flat buffer of the layout with every parameter held (what checkpoints store);
// `local` gets the parts of the parameters `ps` holds (all of it without expert parallelism).
void copy_held(const Tensor& full, Tensor local, const ParamStore& ps) {
  if (ps.numel() == ps.full_numel()) {
    local.copy_from(full);
    return;
  }
  for (int id = 0; id < ps.size(); ++id) {
    if (!ps.resident(id)) continue;
    const ParamInfo& p = ps.info(id);
    Tensor dst = local.narrow(p.offset, p.shape.numel());
    dst.copy_from(full.narrow(p.full_offset, p.shape.numel()));
  }
}
}  // namespace

nlohmann::json load_checkpoint(const std::string& dir, model::Model& model, Adam& adam,
                               Tensor* average) {
  model::load_params(dir, model.params());
  std::string opt_path = dir + "/" + kOptimizerFile;
  SafetensorsFile opt = load_safetensors(opt_path);
  const ParamStore& ps = model.params();
  Tensor values = ps.values();
  if (average) average->copy_from(values);
  if (opt.tensors.count(kRawParamsTensor)) {
    const Tensor& raw = opt.at(kRawParamsTensor);
    if (raw.numel() != ps.full_numel())
      throw Error("{}: {} has {} values, the model has {} parameters", opt_path, kRawParamsTensor,
                  raw.numel(), ps.full_numel());
    copy_held(raw, values, ps);
  }
  const Tensor& m = opt.at("adam.m");
  const Tensor& v = opt.at("adam.v");
  if (m.numel() != ps.full_numel() || v.numel() != ps.full_numel())
    throw Error("{}: optimizer state has {} values, the model has {} parameters", opt_path,
                m.numel(), ps.full_numel());
  copy_held(m, adam.m(), ps);
  copy_held(v, adam.v(), ps);
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
