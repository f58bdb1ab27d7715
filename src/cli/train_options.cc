// The `moemt train` option table and its conversion into TrainOptions. A row stores into its
// field when parsing ends; values that need more than a range (schedule amounts, file pairs,
// enum names) go through a string and are converted below the table.
#include "cli/train_options.h"

#include <cstdint>

#include "cli/model_options.h"
#include "cli/options.h"
#include "core/error.h"

namespace moemt::cli {

namespace {

std::vector<data::ParallelSource> pairs_from(const std::vector<std::string>& files,
                                             const char* flag) {
  if (files.size() % 2)
    throw Error("--{} takes pairs of files (source target ...), got {} file(s)", flag,
                files.size());
  std::vector<data::ParallelSource> out;
  for (size_t i = 0; i < files.size(); i += 2) out.push_back({files[i], files[i + 1], "", ""});
  return out;
}

std::vector<data::TsvSource> tsv_from(const std::vector<std::string>& files) {
  std::vector<data::TsvSource> out;
  for (const auto& f : files) out.push_back({f, "", ""});
  return out;
}

// Options read as text and converted after parsing.
struct Text {
  std::vector<std::string> devices, precision;
  std::string after, disp_freq, save_freq, valid_freq, group_level;
  std::vector<std::string> train_sets, train_tsv, valid_sets, valid_tsv, language_groups,
      valid_metrics;
  std::vector<float> optimizer_params;
  bool no_shuffle = false;
};

struct Sections {
  po::options_description general{"General"}, data{"Data"}, model{"Model"},
      moe{"Mixture of experts"}, train{"Training"}, valid{"Validation"};
};

// The table. A new option is one row here (and its field in TrainOptions).
void add_options(Sections& s, TrainCommandLine& r, Text& t) {
  train::TrainOptions& o = r.options;
  using S = std::string;
  using VS = std::vector<std::string>;
  // clang-format off
  s.general.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<VS>()->composing(), "YAML config file(s); command-line flags win")
    ("dump-config", po::bool_switch(), "print the effective configuration as YAML and exit")
    ("model,m", po::value<S>(&o.model_dir), "checkpoint directory to write (and to resume from)")
    ("resume", po::bool_switch(&o.resume), "continue training the model in --model exactly where it stopped")
    ("overwrite", po::bool_switch(&o.overwrite), "replace an existing model in --model")
    ("seed", bounded<uint64_t>(&o.seed, 0, UINT64_MAX)->default_value(1), "random seed (data order, init, dropout)")
    ("cpu-threads", bounded(&o.cpu_threads, kCpuThreadsRange)->default_value(0), "CPU threads (0 = all cores)")
    ("devices,d", devices_value(&t.devices), kDevicesHelp)
    ("precision", precision_value(&t.precision), kPrecisionHelp)
    ("log", po::value<S>(&o.log_path)->default_value(""), "append JSON-lines records to this file")
    ("log-level", po::value<S>(&r.log_level)->default_value("info"), "console log level")
    ("comm-timeout", bounded(&o.comm_timeout, 0.001, 1e7)->default_value(300.0),
     "multi-process training (mpirun): seconds a collective waits for the other ranks before it "
     "fails naming the rank and update (rank 0's validation and saves: 10x)")
    ("expert-parallel", bounded(&o.expert_parallel, train::kExpertParallelRange)->default_value(1),
     "multi-process training: spread the experts of each MoE layer over groups of this many "
     "ranks (must divide the rank count and every MoE layer's expert count; 1 = replicate)")
    ("bucket-cap-mb", bounded(&o.bucket_cap_mb, train::kBucketCapMbRange)->default_value(25.0),
     "multi-process training: sum the gradients over the ranks in buckets of about this many "
     "MB, last parameters first (as PyTorch DDP); 0 = one all-reduce")
    ("overlap-grad-reduce", po::value<bool>(&o.overlap_grad_reduce)->default_value(true),
     "multi-process training without --expert-parallel: start summing each bucket of "
     "gradients while backward still runs (true/false; the sums are the same)");
  s.data.add_options()
    ("train-sets,t", po::value<VS>(&t.train_sets)->multitoken()->composing(),
     "parallel training files: SRC TGT [SRC TGT ...]; languages from the last extension "
     "(train.eng_Latn, train.de)")
    ("train-tsv", po::value<VS>(&t.train_tsv)->multitoken()->composing(),
     "TSV training files (src<TAB>tgt, tgt_lang<TAB>src<TAB>tgt, or src_lang<TAB>tgt_lang<TAB>src<TAB>tgt)")
    ("vocabs,v", po::value<S>(&o.vocab_path)->default_value(""), "existing sentencepiece model; default: train one")
    ("vocab-size", bounded(&o.vocab.vocab_size, data::kVocabSizeRange)->default_value(4000), "pieces of the trained sentencepiece model (default measured for the default model at short budgets)")
    ("character-coverage", bounded(&o.vocab.character_coverage, data::kCharacterCoverageRange)->default_value(0), "sentencepiece coverage (0 = auto)")
    ("sentencepiece-max-lines", bounded<int64_t>(&o.vocab.max_sentences, 0, 1'000'000'000)->default_value(2000000), "sentences sampled (temperature-balanced) to train the vocabulary")
    ("both-directions", po::bool_switch(&o.load.both_directions), "also train target->source on every pair")
    ("skip-empty", po::bool_switch(&o.load.skip_empty), "drop pairs with an empty side instead of stopping")
    ("max-length", bounded<int>(&o.batching.max_length, 0, model::kMaxLengthRange.hi)->default_value(256), "longest sequence in tokens")
    ("max-length-crop", po::bool_switch(&o.batching.truncate), "cut longer sequences instead of dropping them")
    ("mini-batch-words", bounded(&o.batching.mini_batch_words, kMiniBatchWordsRange)->default_value(2048), "token budget of a mini-batch")
    ("mini-batch", bounded<int>(&o.batching.mini_batch, 0, kMiniBatchRange.hi)->default_value(0), "at most this many sentences per batch (0 = no cap)")
    ("maxi-batch", bounded(&o.batching.maxi_batch, kMaxiBatchRange)->default_value(100), "mini-batches read ahead and sorted by length")
    ("no-shuffle", po::bool_switch(&t.no_shuffle), "keep the corpus order")
    ("data-temperature", bounded(&o.batching.data_temperature, 0.01, 1000.0)->default_value(1.0), "sampling temperature over language pairs")
    ("language-groups", po::value<VS>(&t.language_groups)->multitoken()->composing(),
     "explicit routing groups as CODE=GROUP (default: registry families/branches)")
    ("group-level", po::value<S>(&t.group_level)->default_value("branch"), "registry level for groups: family or branch");
  add_model_options(s.model, s.moe);
  s.train.add_options()
    ("after", po::value<S>(&t.after)->default_value("0"), "stop after: 10000u updates, 5e epochs, 10Mt target tokens, 90s/30m/2h of training time (this run); a comma list stops at the first reached: 10000u,30m (0 = never)")
    ("learn-rate,l", bounded(&o.lr.base_lr, 0.f, 1.f)->default_value(2e-3f), "peak learning rate")
    ("lr-warmup", bounded<int64_t>(&o.lr.warmup, 0, 1'000'000'000)->default_value(300), "linear warm-up updates")
    ("lr-decay-inv-sqrt", bounded<int64_t>(&o.lr.decay_inv_sqrt, 0, 1'000'000'000)->default_value(0), "start of 1/sqrt decay (0 = end of warm-up)")
    ("optimizer-params", bounded_list(0.f, 1.f)->multitoken(), "Adam beta1 beta2 eps (default 0.9 0.98 1e-9)")
    ("clip-norm", bounded(&o.adam.clip_norm, 0.f, 1e6f)->default_value(1.f), "global gradient-norm clipping (0 = off)")
    ("weight-decay", bounded(&o.adam.weight_decay, 0.f, 1.f)->default_value(0.f), "decoupled weight decay")
    ("label-smoothing", bounded(&o.label_smoothing, 0.f, 0.9f)->default_value(0.1f), "label smoothing")
    ("optimizer-delay", bounded<int>(&o.optimizer_delay, 1, 65536)->default_value(1), "accumulate the gradients of N mini-batches per update (as one N times larger batch)")
    ("exponential-smoothing", bounded(&o.exponential_smoothing, 0.f, 1.f)->default_value(0.f)->implicit_value(1e-4f), "keep a moving average of the weights with this factor (alone: 1e-4); it is validated and saved as the model")
    ("disp-freq", po::value<S>(&t.disp_freq)->default_value("100u"), "display interval")
    ("save-freq", po::value<S>(&t.save_freq)->default_value("1000u"), "checkpoint interval")
    ("keep-checkpoints", bounded<int>(&o.keep_checkpoints, 0, 1'000'000)->default_value(0), "at each save also write MODEL.iter<update> and keep the N newest (0 = none)");
  s.valid.add_options()
    ("valid-sets", po::value<VS>(&t.valid_sets)->multitoken()->composing(), "validation files: SRC TGT [SRC TGT ...]")
    ("valid-tsv", po::value<VS>(&t.valid_tsv)->multitoken()->composing(), "validation TSV files")
    ("valid-freq", po::value<S>(&t.valid_freq)->default_value("1000u"), "validation interval")
    ("valid-metrics", po::value<VS>(&t.valid_metrics)->multitoken(), "ce-mean-words (default), perplexity, bleu, chrf; the first decides early stopping")
    ("keep-best", po::bool_switch(&o.keep_best), "keep the best model of every validation metric (MODEL.best-<metric>), not only the first's")
    ("early-stopping", bounded<int>(&o.early_stopping, 0, 1'000'000)->default_value(10), "stop after N validations without improvement (0 = never)")
    ("valid-translations", bounded<int>(&o.valid_translations, 0, 1'000'000)->default_value(3), "dev sentences translated and printed at each validation")
    ("valid-max-sentences", bounded<int64_t>(&o.valid_max_sentences, 0, 1'000'000'000)->default_value(500), "sentences decoded for bleu/chrf");
  // clang-format on
}

// The text options and the architecture, converted once parsing is done.
void convert(const po::variables_map& vm, const Text& t, train::TrainOptions& o) {
  o.device = device_from_option(t.devices, launcher_local_rank(), launcher_size(true));
  o.precision = precision_from_option(t.precision);
  if (!t.train_sets.empty()) o.train_pairs = pairs_from(t.train_sets, "train-sets");
  if (!t.train_tsv.empty()) o.train_tsv = tsv_from(t.train_tsv);
  if (!t.valid_sets.empty()) o.valid_pairs = pairs_from(t.valid_sets, "valid-sets");
  if (!t.valid_tsv.empty()) o.valid_tsv = tsv_from(t.valid_tsv);
  o.batching.shuffle = !t.no_shuffle;
  for (const auto& kv : t.language_groups) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
      throw Error("--language-groups: '{}' is not CODE=GROUP", kv);
    o.language_groups.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  o.group_level = t.group_level;
  if (o.group_level != "family" && o.group_level != "branch")
    throw Error("--group-level must be family or branch, not '{}'", o.group_level);

  read_model_options(vm, o.model);
  o.model.max_length = o.batching.max_length > 0 ? o.batching.max_length : 1024;

  o.after = parse_budget("after", t.after);
  o.disp_freq = parse_schedule("disp-freq", t.disp_freq);
  o.save_freq = parse_schedule("save-freq", t.save_freq);
  o.valid_freq = parse_schedule("valid-freq", t.valid_freq);
  if (vm.count("optimizer-params")) {
    const auto& p = vm["optimizer-params"].as<std::vector<float>>();
    if (p.size() != 3) throw Error("--optimizer-params takes 3 values: beta1 beta2 eps");
    // beta = 1 divides by zero in the bias correction; eps = 0 gives 0/0 for unused weights.
    if (p[0] >= 1 || p[1] >= 1 || p[2] <= 0)
      throw Error("--optimizer-params: need beta1 < 1, beta2 < 1 and eps > 0, got {} {} {}", p[0],
                  p[1], p[2]);
    o.adam.beta1 = p[0];
    o.adam.beta2 = p[1];
    o.adam.eps = p[2];
  }
  if (!t.valid_metrics.empty()) {
    o.valid_metrics.clear();
    for (const auto& name : t.valid_metrics)
      o.valid_metrics.push_back(train::valid_metric_from_name(name));
  }
}

}  // namespace

TrainCommandLine parse_train_args(const std::vector<std::string>& args) {
  TrainCommandLine r;
  Text text;
  Sections s;
  add_options(s, r, text);
  po::options_description all("moemt train options");
  all.add(s.general).add(s.data).add(s.model).add(s.moe).add(s.train).add(s.valid);
  po::variables_map vm;
  if (!parse_options("train", args, all, vm)) {
    r.action = TrainCommandLine::Action::help;
    return r;
  }
  r.config_yaml = dump_options(all, vm);
  if (vm["dump-config"].as<bool>()) {
    r.action = TrainCommandLine::Action::dump_config;
    return r;
  }
  convert(vm, text, r.options);
  std::vector<std::string> fixed = {
      "vocabs",          "vocab-size", "character-coverage", "sentencepiece-max-lines",
      "language-groups", "group-level"};
  for (const auto& name : model_option_names()) fixed.push_back(name);
  for (const auto& name : fixed) {
    auto it = vm.find(name);
    if (it != vm.end() && !it->second.defaulted()) r.fixed_given.push_back(name);
  }
  return r;
}

}  // namespace moemt::cli
