// Checkpoint averaging: configs and vocabularies compared, parameters summed with ops on the
// flat buffer and scaled once, the result written like a checkpoint (temp folder + swap).
#include "train/average.h"

#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "ops/elementwise.h"
#include "train/checkpoint.h"

namespace moemt::train {

namespace {
// The first line where two config.yml texts differ, for an error that says what to fix.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  while (true) {
    bool ha = static_cast<bool>(std::getline(sa, la)), hb = static_cast<bool>(std::getline(sb, lb));
    if (!ha && !hb) return "";
    if (!ha) la = "(nothing)";
    if (!hb) lb = "(nothing)";
    if (la != lb) return fmt::format("'{}' vs '{}'", lb, la);
  }
}
}  // namespace

void average_models(const std::vector<std::string>& dirs, const std::string& out) {
  if (dirs.size() < 2)
    throw Error("average: give at least two models (-m DIR1 DIR2 ...), got {}", dirs.size());
  for (const std::string& d : dirs)
    if (same_file(d, out))
      throw Error("-o {}: is also an input model; write the average to a new folder", out);
  check_checkpoint_target(out, "-o");
  remove_stale_temps(out);

  const model::ModelConfig config = model::load_model_config(dirs[0]);
  const std::string config_text = model::to_yaml(config);
  const std::string vocab = model::load_vocab_bytes(dirs[0]);
  for (size_t i = 1; i < dirs.size(); ++i) {
    std::string text = model::to_yaml(model::load_model_config(dirs[i]));
    if (text != config_text)
      throw Error(
          "{}/{}: another architecture than {}/{} ({}); only models of one config can "
          "be averaged",
          dirs[i], model::kConfigFile, dirs[0], model::kConfigFile,
          first_difference(config_text, text));
    if (model::load_vocab_bytes(dirs[i]) != vocab)
      throw Error(
          "{}/{}: another vocabulary than {}/{}; only models of one vocabulary can be "
          "averaged",
          dirs[i], model::kVocabFile, dirs[0], model::kVocabFile);
  }

  std::unique_ptr<model::Model> m = model::make_model(config);
  m->finalize(Device::cpu(), 0, /*initialize=*/false);
  Tensor values = m->params().values();
  Tensor sum = Tensor::zeros({values.numel()}, DType::f32, values.device());
  for (const std::string& d : dirs) {
    model::load_params(d, m->params());  // names the file and tensor that is missing or wrong
    ops::add_inplace(sum, values);
  }
  ops::scale(sum, 1.f / static_cast<float>(dirs.size()));
  values.copy_from(sum);

  const std::string tmp = temp_sibling(out, "writing");
  try {
    make_dirs(tmp);
    model::save_model_files(tmp, config, m->params(), vocab);
    replace_dir_atomic(tmp, out);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  log::info("averaged {} models into {}", dirs.size(), out);
}

}  // namespace moemt::train
