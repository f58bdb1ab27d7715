// `moemt extract`: writes a deployment sub-model holding the shared parameters and only the
// experts that the chosen languages can reach, and prints full vs sub-model sizes.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/options.h"
#include "core/log.h"
#include "core/threads.h"
#include "corpus/multiway.h"
#include "deploy/extract.h"

namespace moemt::cli {
namespace {

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    size_t at = 0;
    while (at <= item.size()) {
      size_t comma = item.find(',', at);
      if (comma == std::string::npos) comma = item.size();
      if (comma > at) out.push_back(item.substr(at, comma - at));
      at = comma + 1;
    }
  }
  return out;
}

// Every ordered pair of kept languages over the first `max` lines of a multi-way set.
std::vector<data::Example> multiway_pairs(const std::string& dir, const std::string& split,
                                          const std::vector<std::string>& langs, int64_t max) {
  corpus::MultiwaySet set = corpus::load_multiway(dir, split, langs);
  std::vector<data::Example> ex;
  for (const auto& [src, src_lines] : set.lines)
    for (const auto& [tgt, tgt_lines] : set.lines) {
      if (src == tgt) continue;
      const size_t n = std::min<size_t>(src_lines.size(), static_cast<size_t>(max));
      for (size_t i = 0; i < n; ++i)
        ex.push_back({src_lines[i], tgt_lines[i], src, tgt, 0, static_cast<int64_t>(i + 1)});
    }
  return ex;
}

std::string mib(int64_t bytes) { return fmt::format("{:.2f} MiB", bytes / 1048576.0); }

void print_sizes(const deploy::ExtractSizes& full, const deploy::ExtractSizes& sub) {
  auto ratio = [](int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : 0.0; };
  std::cout << fmt::format(
      "| | full model | sub-model | sub / full |\n| --- | ---: | ---: | ---: |\n");
  std::cout << fmt::format("| parameters | {} | {} | {:.3f} |\n", full.params, sub.params,
                           ratio(sub.params, full.params));
  std::cout << fmt::format("| model.safetensors | {} | {} | {:.3f} |\n", mib(full.file_bytes),
                           mib(sub.file_bytes), ratio(sub.file_bytes, full.file_bytes));
  std::cout << fmt::format("| weights resident after loading | {} | {} | {:.3f} |\n",
                           mib(full.weight_bytes), mib(sub.weight_bytes),
                           ratio(sub.weight_bytes, full.weight_bytes));
}

// What was kept, the learned gates' coverage and the sizes; with `json` also one JSON line.
void print_report(const std::string& out, const std::vector<std::string>& langs,
                  const deploy::ExtractPlan& plan, const model::ModelConfig& cfg,
                  const deploy::ExtractSizes& full_sizes, const deploy::ExtractSizes& sub_sizes,
                  bool json) {
  std::cout << fmt::format("sub-model {} for {}\n", out, fmt::join(langs, ", "));
  nlohmann::json stacks = nlohmann::json::object();
  for (int s = 0; s < 2; ++s) {
    const auto& mc = plan.config.moe.stack(s);
    const char* name = s == 0 ? "encoder" : "decoder";
    if (mc.every == 0 && (s == 0 ? cfg.moe_enc_layers : cfg.moe_dec_layers).empty()) continue;
    std::cout << fmt::format("{}: routing {}, keeps {} of {} experts per MoE layer{}\n", name,
                             moe::group_by_name(mc.group_by), mc.num_kept_experts(), mc.num_experts,
                             mc.kept_groups.empty()
                                 ? std::string(" (all)")
                                 : fmt::format(" (groups {})", fmt::join(mc.kept_groups, ", ")));
    stacks[name] = {{"group_by", moe::group_by_name(mc.group_by)},
                    {"kept_experts", mc.num_kept_experts()},
                    {"experts", mc.num_experts},
                    {"kept_groups", mc.kept_groups}};
  }
  nlohmann::json cov = nlohmann::json::array();
  for (const auto& c : plan.coverage) {
    std::cout << fmt::format(
        "{}: sample tokens {}, share per group [{:.3f}], outside the kept groups {:.2f} % (re-routed to their best kept group)\n",
        c.layer, c.tokens, fmt::join(c.group_share, ", "), 100.0 * c.outside);
    cov.push_back({{"layer", c.layer},
                   {"tokens", c.tokens},
                   {"group_share", c.group_share},
                   {"outside", c.outside}});
  }
  if (plan.sample_pairs > 0)
    std::cout << fmt::format("learned gates measured on {} sample pairs\n", plan.sample_pairs);
  if (plan.exact)
    std::cout << "every expert these languages can reach is kept: for them the sub-model's output "
                 "equals the full model's\n";
  else
    std::cout << "tokens that a learned gate sends to a left-out group keep only their residual: "
                 "outputs can differ from the full model's\n";
  print_sizes(full_sizes, sub_sizes);
  if (json) {
    nlohmann::json j = {{"type", "extract"},
                        {"langs", langs},
                        {"exact", plan.exact},
                        {"stacks", stacks},
                        {"coverage", cov},
                        {"full",
                         {{"params", full_sizes.params},
                          {"file_bytes", full_sizes.file_bytes},
                          {"weight_bytes", full_sizes.weight_bytes}}},
                        {"sub",
                         {{"params", sub_sizes.params},
                          {"file_bytes", sub_sizes.file_bytes},
                          {"weight_bytes", sub_sizes.weight_bytes}}}};
    std::cout << j.dump() << "\n";
  }
}

int run_extract(const std::vector<std::string>& args) {
  using S = std::string;
  using VS = std::vector<S>;
  po::options_description desc("moemt extract options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<VS>()->composing(), "YAML config file(s); command-line flags win")
    ("model,m", po::value<S>(), "model directory to extract from (from moemt train, or a sub-model)")
    ("output,o", po::value<S>(), "sub-model directory to write (a new folder, or a moemt model to replace)")
    ("langs", po::value<VS>()->multitoken()->composing(), "languages the sub-model serves: de,fr or deu_Latn fra_Latn")
    ("group", po::value<VS>()->multitoken()->composing(), "add every language of this group of the model (Romance, Indo-European/Germanic)")
    ("sample-set", po::value<S>()->default_value(""), "learned group gates: a multi-way set (corpus or FLORES dir) whose pairs between the kept languages show which groups the gates pick")
    ("split", po::value<S>()->default_value("dev"), "split of --sample-set")
    ("sample", po::value<VS>()->multitoken()->composing(), "learned group gates: TSV files 'src_lang<TAB>tgt_lang<TAB>src<TAB>tgt'")
    ("max-sentences", bounded<int64_t>(1, INT64_MAX)->default_value(200), "lines of --sample-set per direction")
    ("min-group-share", bounded<double>(0.0, 1.0)->default_value(0.01), "learned group gates: keep a group that gets at least this share of some layer's sample tokens")
    ("json", po::bool_switch(), "also print one JSON line with the figures")
    ("cpu-threads", bounded(kCpuThreadsRange)->default_value(0), "CPU threads (0 = all cores)")
    ("log-level", po::value<S>()->default_value("info"), "console log level");
  // clang-format on
  po::variables_map vm;
  if (!parse_options("extract", args, desc, vm)) return 0;
  log::set_level(vm["log-level"].as<S>());
  set_num_threads(cap_cpu_threads(vm["cpu-threads"].as<int>()));
  if (!vm.count("model")) throw Error("moemt extract needs -m/--model DIR");
  if (!vm.count("output")) throw Error("moemt extract needs -o/--output DIR");
  if (!vm.count("langs") && !vm.count("group"))
    throw Error("moemt extract needs --langs LANG,... or --group NAME");

  decode::LoadedModel full = decode::load_model(vm["model"].as<S>());
  const auto& cfg = full.model->config();
  deploy::ExtractOptions opt;
  if (vm.count("langs"))
    opt.langs = deploy::resolve_languages(cfg, split_commas(vm["langs"].as<VS>()));
  if (vm.count("group"))
    for (const auto& g : split_commas(vm["group"].as<VS>()))
      for (const auto& l : deploy::group_languages(cfg, g))
        if (std::find(opt.langs.begin(), opt.langs.end(), l) == opt.langs.end())
          opt.langs.push_back(l);
  opt.min_group_share = vm["min-group-share"].as<double>();
  if (!vm["sample-set"].as<S>().empty())
    opt.sample = multiway_pairs(vm["sample-set"].as<S>(), vm["split"].as<S>(), opt.langs,
                                vm["max-sentences"].as<int64_t>());
  if (vm.count("sample")) {
    std::vector<data::TsvSource> tsv;
    for (const auto& p : vm["sample"].as<VS>()) tsv.push_back({p, "", ""});
    for (auto& e : data::load_tsv(tsv)) opt.sample.push_back(std::move(e));
  }

  deploy::ExtractPlan plan = deploy::plan_extract(full, opt);
  const deploy::ExtractSizes full_sizes = deploy::model_sizes(full);
  const deploy::ExtractSizes sub_sizes = deploy::write_submodel(full, plan, vm["output"].as<S>());

  print_report(vm["output"].as<S>(), opt.langs, plan, cfg, full_sizes, sub_sizes,
               vm["json"].as<bool>());
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("extract",
                       "write a sub-model with only the experts some languages need (deployment)",
                       run_extract);
}  // namespace moemt::cli
