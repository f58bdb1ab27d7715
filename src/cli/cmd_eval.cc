// `moemt eval`: translate a multi-way set (our corpus's dev/devtest or FLORES-200) in every
// requested direction and report BLEU and chrF++ per direction and averaged, as Markdown/JSON.
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/options.h"
#include "core/log.h"
#include "decode/loaded_model.h"
#include "nn/precision.h"
#include "report/evaluator.h"

namespace moemt::cli {
namespace {

int run_eval(const std::vector<std::string>& args) {
  using S = std::string;
  po::options_description desc("moemt eval options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<std::vector<S>>()->composing(), "YAML config file(s); command-line flags win")
    ("model,m", po::value<S>(), "model directory (from moemt train)")
    ("set", po::value<S>(), "multi-way set: a corpus or FLORES-200 directory holding <split>/<code>.<split>")
    ("split", po::value<S>()->default_value("devtest"), "split to evaluate: dev or devtest")
    ("directions", po::value<S>()->default_value("en-x,x-en"),
     "comma-separated: en-x, x-en, x-y, all, or pairs SRC-TGT (de-fr, deu_Latn-fra_Latn)")
    ("xy-sample", bounded<int>(0, 1'000'000)->default_value(0), "evaluate only N random X->Y pairs (0 = all)")
    ("seed", bounded<uint64_t>(0, UINT64_MAX)->default_value(1), "seed of the X->Y sample")
    ("max-sentences", bounded<int64_t>(0, INT64_MAX)->default_value(0), "use the first N lines of the set (0 = all)")
    ("beam-size,b", bounded(decode::kBeamSizeRange)->default_value(4), "beam size (1 = greedy)")
    ("normalize,n", bounded(decode::kNormalizeRange)->default_value(0.6f), "length normalisation exponent")
    ("max-length-factor", bounded(decode::kMaxLengthFactorRange)->default_value(3.f), "output at most this many times the input length")
    ("max-length", bounded(decode::kOutputLengthRange)->default_value(256), "output tokens at most")
    ("max-input-length", bounded(decode::kInputLengthRange)->default_value(256), "longer inputs are truncated (with a warning)")
    ("allow-unk", po::bool_switch(), "allow <unk> in the output")
    ("mini-batch-words", bounded(kMiniBatchWordsRange)->default_value(2048), "source tokens x beam per batch")
    ("mini-batch", bounded(kMiniBatchRange)->default_value(64), "sentences per batch at most")
    ("maxi-batch", bounded(kMaxiBatchRange)->default_value(100), "batches read ahead and sorted by length")
    ("cpu-threads", bounded(kCpuThreadsRange)->default_value(0), "CPU threads (0 = all cores)")
    ("devices,d", devices_value(), kDevicesHelp)
    ("precision", precision_value(), kPrecisionHelp)
    ("mmap", po::bool_switch(), "CPU: memory-map model.safetensors instead of reading it (no copy; only the parameters used are read from disk; no data checksum)")
    ("output-dir,o", po::value<S>()->default_value(""), "write report.md, report.json and hyp.<src>-<tgt>.txt here")
    ("expert-usage", po::bool_switch(), "MoE models: also write experts.md/.html/.json (per layer, language x expert usage of the final translations; needs -o)")
    ("compare", po::value<S>()->default_value(""), "report.json of another run: print the score differences")
    ("format,f", po::value<S>()->default_value("md"), "what to print on stdout: md or json")
    ("quiet,q", po::bool_switch(), "no progress or info lines on stderr (warnings and errors stay)");
  // clang-format on
  po::variables_map vm;
  if (!parse_options("eval", args, desc, vm)) return 0;
  if (!vm.count("model")) throw Error("moemt eval needs -m/--model DIR");
  if (!vm.count("set"))
    throw Error("moemt eval needs --set DIR (e.g. corpora/sample or a FLORES-200 directory)");
  const S format = vm["format"].as<S>();
  if (format != "md" && format != "json")
    throw Error("--format must be md or json, not '{}'", format);
  if (vm["quiet"].as<bool>()) log::set_level("warn");

  report::EvalOptions o;
  o.set_dir = vm["set"].as<S>();
  o.split = vm["split"].as<S>();
  o.directions = report::parse_direction_spec(vm["directions"].as<S>());
  o.xy_sample = vm["xy-sample"].as<int>();
  if (o.xy_sample < 0) throw Error("--xy-sample must be >= 0");
  o.seed = vm["seed"].as<uint64_t>();
  o.max_sentences = vm["max-sentences"].as<int64_t>();
  if (o.max_sentences < 0) throw Error("--max-sentences must be >= 0");
  auto& t = o.translator;
  t.search.beam_size = vm["beam-size"].as<int>();
  if (t.search.beam_size < 1) throw Error("--beam-size must be >= 1");
  t.search.normalize = vm["normalize"].as<float>();
  t.search.max_length_factor = vm["max-length-factor"].as<float>();
  t.search.max_length = vm["max-length"].as<int>();
  t.search.allow_unk = vm["allow-unk"].as<bool>();
  t.max_input_tokens = vm["max-input-length"].as<int>();
  if (t.search.max_length < 1 || t.max_input_tokens < 3)
    throw Error("--max-length must be >= 1 and --max-input-length >= 3");
  t.mini_batch_words = vm["mini-batch-words"].as<int64_t>();
  t.mini_batch = vm["mini-batch"].as<int>();
  t.maxi_batch = vm["maxi-batch"].as<int>();
  if (t.mini_batch_words < 1 || t.mini_batch < 1 || t.maxi_batch < 1)
    throw Error("--mini-batch-words, --mini-batch and --maxi-batch must be >= 1");
  o.cpu_threads = cap_cpu_threads(vm["cpu-threads"].as<int>());
  o.device = device_from_option(vm["devices"].as<std::vector<S>>());
  o.output_dir = vm["output-dir"].as<S>();
  o.progress = !vm["quiet"].as<bool>();
  o.expert_usage = vm["expert-usage"].as<bool>();
  if (o.expert_usage && o.output_dir.empty())
    throw Error("--expert-usage writes experts.md/.html/.json: give an output directory (-o DIR)");
  const S compare_path = vm["compare"].as<S>();
  // Read the other report first: a typo should not cost a whole evaluation.
  report::EvalReport other;
  if (!compare_path.empty()) other = report::load_report(compare_path);

  const DType precision = precision_from_option(vm["precision"].as<std::vector<S>>());
  auto model = decode::load_model(
      vm["model"].as<S>(), o.device,
      vm["mmap"].as<bool>() ? decode::LoadMode::mmap : decode::LoadMode::eager);
  // --precision bfloat16: the GEMMs read a bf16 copy of the f32 weights.
  nn::set_compute_precision(model.model->params(), precision);
  auto run = report::run_eval(o, model);
  if (!o.output_dir.empty()) {
    report::write_outputs(run, o.output_dir);
    log::info("wrote {}/report.md, report.json and {} hypothesis file(s)", o.output_dir,
              run.hypotheses.size());
    if (o.expert_usage) {
      std::string summary = run.expert_usage.summary();
      while (!summary.empty() && summary.back() == '\n') summary.pop_back();
      log::info("expert usage of the final translations:\n{}", summary);
      log::info("wrote {0}/experts.md, {0}/experts.html and {0}/experts.json", o.output_dir);
    }
  }
  std::optional<report::Comparison> cmp;
  if (!compare_path.empty()) cmp = report::compare(run.report, other);
  if (format == "json") {
    // One JSON document: the report, with the comparison inside it.
    auto j = report::to_json(run.report);
    if (cmp) j["compare"] = report::comparison_json(*cmp, compare_path);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << report::to_markdown(run.report);
    if (cmp)
      std::cout << "\n## compared with " << compare_path << "\n\n"
                << report::comparison_markdown(*cmp);
  }
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("eval",
                       "translate a multi-way set (dev/devtest, FLORES-200) and report BLEU/chrF++",
                       run_eval);
}  // namespace moemt::cli
