// Sub-model planning (which groups each stack keeps) and writing (parameters, and the training
// state sliced to the kept parameters so training can continue).
#include "deploy/extract.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/file_io.h"
#include "core/log.h"
#include "core/safetensors.h"
#include "data/language.h"
#include "data/sample.h"
#include "decode/routing_trace.h"
#include "model/checkpoint.h"
#include "moe/moe_layer.h"
#include "train/checkpoint.h"

namespace moemt::deploy {

namespace {

std::string joined(const std::vector<std::string>& v) {
  return fmt::format("{}", fmt::join(v, ", "));
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The MoE layers of one stack (0 encoder, 1 decoder), by their parameter-name prefix.
std::vector<moe::MoeLayer*> stack_layers(model::Model& m, int stack) {
  std::vector<moe::MoeLayer*> out;
  for (moe::MoeLayer* l : m.moe_layers())
    if (l->name().rfind(stack == 0 ? "encoder" : "decoder", 0) == 0) out.push_back(l);
  return out;
}

// Share of each group in one learned layer's routed sample slots (one group per token, so
// slot shares are token shares).
LayerCoverage layer_coverage(const std::string& name, const moe::LayerRoutingSums& s,
                             const moe::MoeConfig& cfg) {
  LayerCoverage c;
  c.layer = name;
  c.tokens = s.tokens;
  c.group_share.assign(cfg.num_groups, 0.0);
  const int epg = cfg.experts_per_group();
  int64_t slots = 0;
  for (size_t e = 0; e < s.routed.size(); ++e) slots += s.routed[e];
  for (size_t e = 0; e < s.routed.size(); ++e)
    if (slots > 0) c.group_share[e / epg] += static_cast<double>(s.routed[e]) / slots;
  return c;
}

// The sample's pairs between kept languages, with FLORES codes.
std::vector<data::Example> sample_pairs(const ExtractOptions& opt) {
  auto flores = [](const std::string& c) {
    const auto* l = data::LanguageRegistry::builtin().find(c);
    return l ? l->flores : c;
  };
  std::vector<data::Example> ex;
  for (const auto& e : opt.sample) {
    data::Example x = e;
    x.src_lang = flores(e.src_lang);
    x.tgt_lang = flores(e.tgt_lang);
    if (contains(opt.langs, x.src_lang) && contains(opt.langs, x.tgt_lang)) ex.push_back(x);
  }
  if (ex.empty())
    throw Error(
        "this model has learned group gates: extract needs a sample (--sample-set DIR or "
        "--sample FILE.tsv) with sentence pairs between the kept languages ({})",
        joined(opt.langs));
  return ex;
}

// Runs the sample teacher-forced through the full model and returns the routing sums.
moe::RoutingStats sample_routing(decode::LoadedModel& full, const std::vector<data::Example>& ex,
                                 int64_t& pairs) {
  auto samples = data::encode_examples(
      full.vocab, ex, [&](std::string_view code) { return full.lang_id(std::string(code)); });
  moe::RoutingStats stats;
  for (const auto& s : samples)
    decode::record_routing(*full.model, full.vocab, s.src, s.tgt, s.src_lang, s.tgt_lang, stats);
  pairs = static_cast<int64_t>(samples.size());
  return stats;
}

// Groups of `langs` under a language -> group map.
std::set<int> groups_of(const model::ModelConfig& cfg, const moe::MoeConfig& mc,
                        const std::vector<std::string>& langs) {
  std::set<int> g;
  for (const auto& l : langs) g.insert(mc.lang_to_group.at(cfg.lang_id(l)));
  return g;
}

// Learned gates: the groups picked for at least min_share of some layer's sample tokens.
std::set<int> covered_groups(ExtractPlan& plan, const moe::RoutingStats& stats,
                             const std::vector<moe::MoeLayer*>& layers, double min_share) {
  std::set<int> keep;
  for (moe::MoeLayer* l : layers) {
    auto it = stats.layers().find(l->name());
    if (it == stats.layers().end()) continue;
    LayerCoverage c = layer_coverage(l->name(), it->second, l->config());
    for (size_t g = 0; g < c.group_share.size(); ++g)
      if (c.group_share[g] >= min_share && c.group_share[g] > 0) keep.insert(static_cast<int>(g));
    plan.coverage.push_back(std::move(c));
  }
  return keep;
}

// Narrows the groups a stack keeps; an empty kept_groups means "all groups".
void set_kept(moe::MoeConfig& mc, std::set<int> keep) {
  if (!mc.kept_groups.empty()) {  // extracting from a sub-model: only what it still holds
    std::set<int> had(mc.kept_groups.begin(), mc.kept_groups.end()), both;
    std::set_intersection(keep.begin(), keep.end(), had.begin(), had.end(),
                          std::inserter(both, both.begin()));
    keep = both;
  }
  if (keep.empty()) keep.insert(0);  // a stack keeps at least one group (its router needs it)
  mc.kept_groups.assign(keep.begin(), keep.end());
  if (static_cast<int>(mc.kept_groups.size()) == mc.num_groups) mc.kept_groups.clear();
}

}  // namespace

std::vector<std::string> resolve_languages(const model::ModelConfig& cfg,
                                           const std::vector<std::string>& codes) {
  std::vector<std::string> out;
  for (const auto& code : codes) {
    const auto* lang = data::LanguageRegistry::builtin().find(code);
    const std::string flores = lang ? lang->flores : code;
    if (cfg.lang_id(flores) < 0)
      throw Error("language '{}' is not one of this model's languages ({})", code,
                  joined(cfg.languages));
    if (!contains(out, flores)) out.push_back(flores);
  }
  return out;
}

std::vector<std::string> group_languages(const model::ModelConfig& cfg, const std::string& name) {
  std::vector<std::string> out, groups;
  for (size_t i = 0; i < cfg.language_groups.size(); ++i) {
    const std::string& g = cfg.language_groups[i];
    const auto slash = g.rfind('/');
    if (g == name || (slash != std::string::npos && g.substr(slash + 1) == name))
      out.push_back(cfg.languages[i]);
    if (!contains(groups, g)) groups.push_back(g);
  }
  if (out.empty())
    throw Error("--group {}: no language of this model is in that group (its groups: {})", name,
                groups.empty() ? std::string("none") : joined(groups));
  return out;
}

ExtractPlan plan_extract(decode::LoadedModel& full, const ExtractOptions& opt) {
  const model::ModelConfig& cfg = full.model->config();
  if (!cfg.use_moe)
    throw Error("{}: a dense model has no experts to leave out; deploy it as it is", full.dir);
  if (opt.langs.empty()) throw Error("moemt extract needs --langs or --group");
  // From a sub-model: only languages it serves on each side it restricts.
  for (const auto& l : opt.langs)
    if (!cfg.serves_src(l) || !cfg.serves_tgt(l))
      throw Error(
          "{}: this sub-model does not serve {} (sources: {}; targets: {}); extract from "
          "the full model",
          full.dir, l, cfg.src_languages.empty() ? "any" : joined(cfg.src_languages),
          cfg.tgt_languages.empty() ? "any" : joined(cfg.tgt_languages));
  ExtractPlan plan;
  plan.config = cfg;
  bool src_matters = false, tgt_matters = false, learned = false;
  for (int s = 0; s < 2; ++s) {
    if (stack_layers(*full.model, s).empty()) continue;
    const moe::GroupBy gb = cfg.moe.stack(s).group_by;
    src_matters |= gb == moe::GroupBy::src_family || (gb == moe::GroupBy::learned && s == 0);
    tgt_matters |= gb == moe::GroupBy::tgt_family || gb == moe::GroupBy::learned;
    learned |= gb == moe::GroupBy::learned;
  }
  moe::RoutingStats stats;
  if (learned) stats = sample_routing(full, sample_pairs(opt), plan.sample_pairs);
  for (int s = 0; s < 2; ++s) {
    auto layers = stack_layers(*full.model, s);
    if (layers.empty()) continue;
    moe::MoeConfig& mc = s == 0 ? plan.config.moe.encoder : plan.config.moe.decoder;
    const moe::MoeConfig filled = cfg.moe_for_stack(s);  // with lang_to_group
    switch (mc.group_by) {
      case moe::GroupBy::none:
        break;  // flat routing: every expert is reachable from every language
      case moe::GroupBy::src_family:
      case moe::GroupBy::tgt_family:
        set_kept(mc, groups_of(cfg, filled, opt.langs));
        break;
      case moe::GroupBy::learned:
        set_kept(mc, covered_groups(plan, stats, layers, opt.min_group_share));
        break;
    }
  }
  // Tokens of the sample whose learned group the sub-model leaves out.
  for (auto& c : plan.coverage) {
    const auto& mc = plan.config.moe.stack(c.layer.rfind("encoder", 0) == 0 ? 0 : 1);
    c.outside = 0;
    if (!mc.kept_groups.empty())
      for (size_t g = 0; g < c.group_share.size(); ++g)
        if (!std::binary_search(mc.kept_groups.begin(), mc.kept_groups.end(), static_cast<int>(g)))
          c.outside += c.group_share[g];
    if (c.outside > 0) plan.exact = false;
  }
  if (learned) {
    // Learned gates route by content, so the full model may pick a group outside the sample's
    // picks at run time; the sub-model's gate then takes the token's best kept group instead.
    for (const auto* mc : {&plan.config.moe.encoder, &plan.config.moe.decoder})
      if (mc->group_by == moe::GroupBy::learned && !mc->kept_groups.empty()) plan.exact = false;
  }
  if (src_matters) plan.config.src_languages = opt.langs;
  if (tgt_matters) plan.config.tgt_languages = opt.langs;
  plan.config.validate();
  return plan;
}

ExtractSizes model_sizes(decode::LoadedModel& m) {
  ExtractSizes z;
  const ParamStore& ps = m.model->params();
  for (int i = 0; i < ps.size(); ++i) z.params += ps.info(i).shape.numel();
  z.weight_bytes = ps.numel() * static_cast<int64_t>(sizeof(float));
  z.file_bytes = static_cast<int64_t>(std::filesystem::file_size(m.dir + "/" + model::kParamsFile));
  return z;
}

namespace {
// The flat (numel) tensor `t` in `from`'s layout, re-laid out for `to`'s parameters.
Tensor relayout(const Tensor& t, const ParamStore& from, const ParamStore& to,
                const std::string& what) {
  if (t.numel() != from.numel() || t.dtype() != DType::f32)
    throw Error("{}: has {} values, the model has {} parameters", what, t.numel(), from.numel());
  Tensor out = Tensor::zeros({to.numel()}, DType::f32);
  for (int i = 0; i < to.size(); ++i) {
    const ParamInfo& p = to.info(i);
    const ParamInfo& q = from.info(from.find(p.name));
    out.narrow(p.offset, p.shape.numel()).copy_from(t.narrow(q.offset, q.shape.numel()));
  }
  return out;
}

// Optimizer moments (and a smoothed run's raw weights) of the kept parameters, state.json and
// train.yml, so the sub-model resumes training where the full model stopped.
void write_training_state(const std::string& full_dir, const ParamStore& from, const ParamStore& to,
                          const std::string& tmp) {
  const std::string opt_path = full_dir + "/" + train::kOptimizerFile;
  if (!path_exists(opt_path) || !path_exists(full_dir + "/" + train::kStateFile)) return;
  SafetensorsFile f = load_safetensors(opt_path);
  std::vector<NamedTensor> out;
  for (const char* name : {"adam.m", "adam.v", train::kRawParamsTensor})
    if (f.tensors.count(name))
      out.push_back({name, relayout(f.at(name), from, to, opt_path + " " + name)});
  auto meta = f.metadata;
  meta["params"] = std::to_string(to.numel());
  save_safetensors(tmp + "/" + train::kOptimizerFile, out, meta);
  // The data position belongs to the full model's training data; the sub-model continues on
  // data of its own languages, from the start.
  const std::string state_path = full_dir + "/" + train::kStateFile;
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(read_file(state_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error("{}: corrupt training state ({})", state_path, e.what());
  }
  state.erase("data_position");
  state["extracted_from"] = full_dir;
  write_file_atomic(tmp + "/" + train::kStateFile, state.dump(2) + "\n");
  const std::string yml = full_dir + "/" + train::kTrainConfigFile;
  if (path_exists(yml)) write_file_atomic(tmp + "/" + train::kTrainConfigFile, read_file(yml));
}
}  // namespace

ExtractSizes write_submodel(decode::LoadedModel& full, const ExtractPlan& plan,
                            const std::string& out_dir) {
  if (same_file(full.dir, out_dir) || std::filesystem::absolute(full.dir).lexically_normal() ==
                                          std::filesystem::absolute(out_dir).lexically_normal())
    throw Error("-o {}: is the model being extracted from; choose another folder", out_dir);
  train::check_checkpoint_target(out_dir, "-o");
  auto sub = model::make_model(plan.config);
  sub->finalize(Device::cpu(), 0, /*initialize=*/false);
  const ParamStore& from = full.model->params();
  ParamStore& to = sub->params();
  for (int i = 0; i < to.size(); ++i) {
    const int j = from.find(to.info(i).name);
    MOEMT_CHECK(j >= 0, "sub-model parameter {} missing from the full model", to.info(i).name);
    Tensor dst = to.value(i);
    dst.copy_from(from.value(j));
  }
  const std::string tmp = temp_sibling(out_dir, "writing");
  make_dirs(tmp);
  try {
    model::save_model_files(tmp, plan.config, to, model::load_vocab_bytes(full.dir));
    write_training_state(full.dir, from, to, tmp);
    replace_dir_atomic(tmp, out_dir);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  ExtractSizes z;
  for (int i = 0; i < to.size(); ++i) z.params += to.info(i).shape.numel();
  z.weight_bytes = to.numel() * static_cast<int64_t>(sizeof(float));
  z.file_bytes =
      static_cast<int64_t>(std::filesystem::file_size(out_dir + "/" + model::kParamsFile));
  return z;
}

}  // namespace moemt::deploy
