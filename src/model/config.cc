// ModelConfig validation and YAML round trip. The field table (config_fields.h) drives both
// directions, so the writer and the strict reader cannot drift apart.
#include "model/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <type_traits>

#include "core/error.h"
#include "model/config_fields.h"

namespace moemt::model {

namespace {

// Writes one row's value.
template <typename T, typename E>
void put(YAML::Emitter& e, const Field<T, E>& f) {
  if constexpr (std::is_enum_v<T>) e << f.to_name(f.ref);
  else if constexpr (std::is_same_v<T, std::vector<int>> ||
                     std::is_same_v<T, std::vector<std::string>>)
    e << YAML::Flow << f.ref;
  else e << f.ref;
}

// Reads one row's value (ranges are checked by validate(), which names the field).
template <typename T, typename E>
void get(const YAML::Node& n, const Field<T, E>& f) {
  if constexpr (std::is_enum_v<T>) f.ref = f.from_name(n.as<std::string>());
  else f.ref = n.as<T>();
}

// Writes the rows of one map; `lstm` says whether kLstmOnly rows belong to it.
struct Writer {
  YAML::Emitter& e;
  bool lstm;
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (f.has(kLstmOnly) && !lstm) return;
    if (f.has(kOmitDefault) && f.ref == T{}) return;
    e << YAML::Key << f.key << YAML::Value;
    put(e, f);
  }
};

// Reads the value of `key` into its row; `found` stays false when no row has that key.
struct Reader {
  const std::string& key;
  const YAML::Node& value;
  bool found = false;
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) {
    if (key != f.key) return;
    get(value, f);
    found = true;
  }
};

template <typename Visit>
void read_map(const YAML::Node& node, const Visit& visit, const std::string& path,
              const std::string& prefix, const std::set<std::string>& submaps) {
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (submaps.count(key)) continue;
    int line = kv.first.Mark().line + 1;
    Reader r{key, kv.second};
    try {
      visit(r);
    } catch (const YAML::Exception&) {
      throw Error("{}:{}: bad value for model option '{}{}'", path, line, prefix, key);
    }
    if (!r.found) throw Error("{}:{}: unknown model option '{}{}'", path, line, prefix, key);
  }
}

}  // namespace

ModelType model_type_from_name(const std::string& name) {
  if (name == "transformer") return ModelType::transformer;
  if (name == "lstm") return ModelType::lstm;
  throw Error("unknown model type '{}' (expected transformer or lstm)", name);
}

const char* model_type_name(ModelType t) { return t == ModelType::lstm ? "lstm" : "transformer"; }

EncoderType encoder_type_from_name(const std::string& name) {
  if (name == "bidirectional" || name == "bi-unidirectional") return EncoderType::bidirectional;
  if (name == "unidirectional") return EncoderType::unidirectional;
  throw Error("unknown encoder type '{}' (expected bidirectional or unidirectional)", name);
}

const char* encoder_type_name(EncoderType t) {
  return t == EncoderType::bidirectional ? "bidirectional" : "unidirectional";
}

bool ModelConfig::moe_at(int stack, int layer) const {
  if (!use_moe) return false;
  const std::vector<int>& list = stack == 0 ? moe_enc_layers : moe_dec_layers;
  if (type == ModelType::lstm && layer >= (stack == 0 ? enc_layers : dec_layers) - 1) return false;
  if (!list.empty()) return std::find(list.begin(), list.end(), layer) != list.end();
  return moe.stack(stack).applies_to(layer);
}

void ModelConfig::validate() const {
  auto bad = [](const std::string& what) { return Error("invalid model config: {}", what); };
  const char* prefix = "invalid model config: ";
  kVocabSizeRange.check("vocab-size", vocab_size, prefix);
  kDimEmbRange.check("dim-emb", d_model, prefix);
  kHeadsRange.check("transformer-heads", heads, prefix);
  if (type == ModelType::transformer && d_model % heads != 0)
    throw bad(fmt::format("dim-emb ({}) must be a positive multiple of transformer-heads ({})",
                          d_model, heads));
  if (type == ModelType::lstm) {
    kDimRnnRange.check("dim-rnn", dim_rnn, prefix);
    kCellDepthRange.check("enc-cell-depth", enc_cell_depth, prefix);
    kCellDepthRange.check("dec-cell-depth", dec_cell_depth, prefix);
    // The attention of the LSTM decoder has transformer-heads heads over dim-rnn.
    if (dim_rnn % heads != 0)
      throw bad(fmt::format("dim-rnn ({}) must be a positive multiple of transformer-heads ({})",
                            dim_rnn, heads));
    if (enc_cell != "lstm") throw bad(fmt::format("enc-cell '{}': only lstm is built", enc_cell));
    if (dec_cell != "lstm") throw bad(fmt::format("dec-cell '{}': only lstm is built", dec_cell));
    // The decoder attends over dim-rnn wide encoder states: a lone bidirectional layer would
    // give 2 x dim-rnn.
    if (enc_type == EncoderType::bidirectional && enc_layers < 2)
      throw bad("enc-type bidirectional needs enc-depth >= 2 (or use unidirectional)");
  }
  kDimFfnRange.check("transformer-dim-ffn", ffn_dim, prefix);
  kDepthRange.check("enc-depth", enc_layers, prefix);
  kDepthRange.check("dec-depth", dec_layers, prefix);
  kDropoutRange.check("transformer-dropout", dropout, prefix);
  kDropoutRange.check("transformer-dropout-attention", attention_dropout, prefix);
  kDropoutRange.check("dropout-rnn", dropout_rnn, prefix);
  kMaxLengthRange.check("max-length", max_length, prefix);
  if (languages.empty()) throw bad("languages must not be empty");
  if (!language_groups.empty() && language_groups.size() != languages.size())
    throw bad("language-groups must have one entry per language");
  for (int s = 0; s < 2; ++s) {
    const int depth = s == 0 ? enc_layers : dec_layers;
    // LSTM: MoE layers sit between stacked layers, so there are depth-1 slots.
    const int slots = type == ModelType::lstm ? depth - 1 : depth;
    for (int l : s == 0 ? moe_enc_layers : moe_dec_layers)
      if (l < 0 || l >= slots)
        throw bad(fmt::format("{}: layer {} is outside [0, {}) for {} {} layers",
                              s == 0 ? "moe-enc-layers" : "moe-dec-layers", l, slots, depth,
                              model_type_name(type)));
  }
  if (use_moe) {
    for (int s = 0; s < 2; ++s) {
      const auto& m = moe.stack(s);
      if ((m.group_by == moe::GroupBy::src_family || m.group_by == moe::GroupBy::tgt_family) &&
          language_groups.empty())
        throw bad("MoE routing by language family needs language-groups");
      moe_for_stack(s).validate(s == 0 ? "moe.encoder" : "moe.decoder");
    }
  }
}

moe::MoeConfig ModelConfig::moe_for_stack(int stack) const {
  moe::MoeConfig mc = moe.stack(stack);
  if (mc.group_by == moe::GroupBy::src_family || mc.group_by == moe::GroupBy::tgt_family) {
    std::map<std::string, int> ids;
    for (const auto& g : language_groups)
      if (!ids.count(g)) ids.emplace(g, static_cast<int>(ids.size()));
    mc.lang_to_group.clear();
    for (const auto& g : language_groups)
      mc.lang_to_group.push_back(ids[g] % std::max(1, mc.num_groups));
  }
  return mc;
}

int ModelConfig::lang_id(const std::string& code) const {
  for (size_t i = 0; i < languages.size(); ++i)
    if (languages[i] == code) return static_cast<int>(i);
  return -1;
}

int64_t ModelConfig::parameter_count() const {
  // Mirrors the constructors of Seq2Seq and LstmModel and their layers
  // (tests/model/config_test.cc and lstm_model_test.cc compare them). Doubles: the largest configurations in range overflow int64 once in bytes.
  const double d = static_cast<double>(d_model), v = static_cast<double>(vocab_size);
  const double layer_norm = 2 * d, attention = 4 * (d * d + d);
  // An MoE layer of width w: router(s), routed experts and shared experts.
  auto moe_layer = [&](int stack, double w) {
    const moe::MoeConfig& m = moe.stack(stack);
    const double e_ff = static_cast<double>(m.expert_d_ff > 0 ? m.expert_d_ff : ffn_dim);
    const double s_ff = m.shared_d_ff > 0 ? static_cast<double>(m.shared_d_ff) : e_ff;
    double n = w * m.num_experts * (m.noisy_gating ? 2 : 1);             // router wg (+ wnoise)
    if (m.group_by == moe::GroupBy::learned) n += 2 * w * m.num_groups;  // noisy group router
    n += m.num_experts * (2 * w * e_ff + e_ff + w);
    n += m.num_shared_experts * (2 * w * s_ff + s_ff + w);
    return n;
  };
  auto ffn = [&](int stack, int layer) {
    if (!moe_at(stack, layer)) return 2 * d * ffn_dim + ffn_dim + d;
    return moe_layer(stack, d);
  };
  if (type == ModelType::lstm) {
    // Mirrors LstmModel: W (in, 4H), U (H, 4H), b (4H) per LSTM and U, b per transition cell;
    // MoE layers as wide as the layer before them (2H after a bidirectional layer, else H).
    const double h = static_cast<double>(dim_rnn);
    int cells = enc_cell_depth;
    auto lstm = [&](double in) { return in * 4 * h + cells * (h * 4 * h + 4 * h); };
    auto moe_h = [&](int stack, int layer, double w) {
      return moe_at(stack, layer) ? moe_layer(stack, w) : 0.0;
    };
    double n = v * d * (tied_embeddings ? 1 : 3);
    const bool bi = enc_type == EncoderType::bidirectional;
    for (int i = 0; i < enc_layers; ++i) {
      if (i == 0) n += bi ? 2 * lstm(d) : lstm(d);
      else n += lstm(i == 1 && bi ? 2 * h : h);
      n += moe_h(0, i, i == 0 && bi ? 2 * h : h);
    }
    cells = dec_cell_depth;
    for (int i = 0; i < dec_layers; ++i) n += lstm(i == 0 ? d : 2 * h) + moe_h(1, i, h);
    n += 4 * (h * h + h);                // attention q, k, v, o
    n += 2 * h * d + d;                  // output projection [top ; context] -> dim-emb
    return n >= 9e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(n);
  }
  double n =
      v * d * (tied_embeddings ? 1 : 3) + 2 * layer_norm;  // embeddings (+ output), final norms
  for (int i = 0; i < enc_layers; ++i) n += 2 * layer_norm + attention + ffn(0, i);
  for (int i = 0; i < dec_layers; ++i) n += 3 * layer_norm + 2 * attention + ffn(1, i);
  return n >= 9e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(n);
}

int64_t training_state_bytes(const ModelConfig& c) {
  const int64_t n = c.parameter_count();
  constexpr int64_t kBuffers = 4 * sizeof(float);  // values, gradients, Adam m and v
  return n > std::numeric_limits<int64_t>::max() / kBuffers ? std::numeric_limits<int64_t>::max()
                                                            : n * kBuffers;
}

std::string to_yaml(const ModelConfig& config) {
  ModelConfig c = config;  // the field table binds references
  YAML::Emitter e;
  e << YAML::BeginMap;
  const Writer writer{e, c.type == ModelType::lstm};
  visit_model_fields(c, writer);
  if (c.use_moe) {
    e << YAML::Key << "moe-settings" << YAML::Value << YAML::BeginMap;
    for (int s = 0; s < 2; ++s) {
      e << YAML::Key << (s == 0 ? "encoder" : "decoder") << YAML::Value << YAML::BeginMap;
      visit_moe_fields(s == 0 ? c.moe.encoder : c.moe.decoder, writer);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

ModelConfig model_config_from_yaml(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error("{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.msg);
  }
  if (!root.IsMap()) throw Error("{}: model config must be a YAML map", path);
  ModelConfig c;
  read_map(root, [&c](Reader& r) { visit_model_fields(c, r); }, path, "", {"moe-settings"});
  if (root["moe-settings"]) {
    const YAML::Node ms = root["moe-settings"];
    for (const auto& kv : ms) {
      std::string stack = kv.first.as<std::string>();
      if (stack != "encoder" && stack != "decoder")
        throw Error("{}:{}: unknown MoE stack '{}' (expected encoder or decoder)", path,
                    kv.first.Mark().line + 1, stack);
      moe::MoeConfig& m = stack == "encoder" ? c.moe.encoder : c.moe.decoder;
      read_map(kv.second, [&m](Reader& r) { visit_moe_fields(m, r); }, path,
               "moe-settings." + stack + ".", {});
    }
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error("{}: {}", path, e.what());
  }
  return c;
}

}  // namespace moemt::model
