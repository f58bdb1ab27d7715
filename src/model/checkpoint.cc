// Model file I/O with the checks a user needs when pointing -m at the wrong directory.
#include "model/checkpoint.h"

#include <algorithm>
#include <memory>

#include "core/file_io.h"

namespace moemt::model {

void save_model_files(const std::string& dir, const ModelConfig& config, const ParamStore& params,
                      const std::string& vocab_bytes) {
  std::vector<NamedTensor> tensors;
  tensors.reserve(params.size());
  for (int i = 0; i < params.size(); ++i) tensors.push_back({params.info(i).name, params.value(i)});
  save_safetensors(dir + "/" + kParamsFile, tensors, {{"format", "moemt"}, {"version", "1"}});
  write_file_atomic(dir + "/" + kConfigFile, to_yaml(config));
  write_file_atomic(dir + "/" + kVocabFile, vocab_bytes);
}

bool is_model_dir(const std::string& dir) {
  return path_exists(dir + "/" + kConfigFile) && path_exists(dir + "/" + kParamsFile);
}

ModelConfig load_model_config(const std::string& dir) {
  std::string path = dir + "/" + kConfigFile;
  if (!path_exists(dir)) throw Error("{}: model directory does not exist", dir);
  if (!path_exists(path))
    throw Error("{}: not a moemt model directory (no {}; pass the directory that `moemt train` "
                "wrote with --model)",
                dir, kConfigFile);
  return model_config_from_yaml(read_file(path), path);
}

namespace {
// The file's tensor for each of the store's parameters (by id), checked by name and shape.
std::vector<Tensor> matched(const SafetensorsFile& f, const ParamStore& store) {
  std::vector<Tensor> out;
  for (int i = 0; i < store.size(); ++i) {
    const auto& info = store.info(i);
    auto it = f.tensors.find(info.name);
    if (it == f.tensors.end())
      throw Error("{}: parameter '{}' is missing (the file does not match {})", f.path, info.name,
                  kConfigFile);
    if (!(it->second.shape() == info.shape) || it->second.dtype() != DType::f32)
      throw Error("{}: parameter '{}' has shape {} {}, the model expects {} f32", f.path,
                  info.name, it->second.shape().str(), dtype_name(it->second.dtype()),
                  info.shape.str());
    out.push_back(it->second);
  }
  if (static_cast<int>(f.tensors.size()) != store.size())
    throw Error("{}: holds {} tensors, the model has {} parameters", f.path, f.tensors.size(),
                store.size());
  return out;
}
}  // namespace

void load_params(const std::string& dir, ParamStore& store) {
  // Views into the file's bytes, copied once into the store: two copies of the weights at the
  // peak, not three.
  const std::string path = dir + "/" + kParamsFile;
  const std::string bytes = read_file(path);
  SafetensorsFile f = view_safetensors(bytes, path, /*verify=*/true);
  std::vector<Tensor> src = matched(f, store);
  for (int i = 0; i < store.size(); ++i) {
    if (!store.resident(i)) continue;  // another rank's expert (expert parallelism)
    Tensor dst = store.value(i);
    dst.copy_from(src[i]);
  }
}

void load_params_for_inference(const std::string& dir, ParamStore& store) {
  const std::string path = dir + "/" + kParamsFile;
  std::vector<Tensor> src;
  {
    const std::string bytes = read_file(path);
    SafetensorsFile f = view_safetensors(bytes, path, /*verify=*/true);
    src = matched(f, store);
    // Each parameter starts on a 64-byte boundary, as in finalize()'s flat buffer.
    auto align = [](int64_t n) { return (n + 15) / 16 * 16; };
    int64_t total = 0;
    for (const Tensor& t : src) total += align(t.numel());
    auto flat = std::make_shared<Tensor>(Tensor::empty({std::max<int64_t>(total, 1)}));
    int64_t off = 0;
    for (Tensor& t : src) {
      Tensor dst = flat->narrow(off, t.numel()).reshape(t.shape());
      dst.copy_from(t);
      off += align(t.numel());
      t = dst;
    }
    store.finalize_views(std::move(src), flat);
  }
}

void map_params(const std::string& dir, ParamStore& store) {
  SafetensorsFile f = map_safetensors(dir + "/" + kParamsFile);
  store.finalize_views(matched(f, store), f.mapping);
}

std::string load_vocab_bytes(const std::string& dir) { return read_file(dir + "/" + kVocabFile); }

}  // namespace moemt::model
