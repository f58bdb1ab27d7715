// `moemt train`: Marian-style flags and YAML config -> TrainOptions -> Trainer.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/threads.h"
#include "dist/communicator.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace moemt::cli {
namespace {

std::vector<data::ParallelSource> pairs_from(const std::vector<std::string>& files,
                                             const char* flag) {
  if (files.size() % 2)
    throw Error("--{} takes pairs of files (source target ...), got {} file(s)", flag, files.size());
  std::vector<data::ParallelSource> out;
  for (size_t i = 0; i < files.size(); i += 2) out.push_back({files[i], files[i + 1], "", ""});
  return out;
}

std::vector<data::TsvSource> tsv_from(const std::vector<std::string>& files) {
  std::vector<data::TsvSource> out;
  for (const auto& f : files) out.push_back({f, "", ""});
  return out;
}

// --resume keeps the checkpoint's architecture and vocabulary (its config.yml and vocab.spm):
// an option given now that would change them is an error naming it, never silently ignored.
void check_resume_options(const std::vector<std::string>& names, const po::options_description& all,
                          const po::variables_map& vm, const std::string& dir) {
  const std::string path = dir + "/" + train::kTrainConfigFile;
  if (!path_exists(path)) {
    log::warn("{}: missing; cannot check that the options given agree with the checkpoint's "
              "architecture (the checkpoint's config.yml is used)", path);
    return;
  }
  YAML::Node saved, now = YAML::Load(dump_options(all, vm));
  try {
    saved = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error("{}: cannot read the checkpoint's training options ({})", path, e.what());
  }
  for (const auto& name : names) {
    auto it = vm.find(name);
    if (it == vm.end() || it->second.defaulted() || !saved[name]) continue;
    std::string given = YAML::Dump(now[name]), kept = YAML::Dump(saved[name]);
    if (given != kept)
      throw Error("--{} {}: --resume keeps the checkpoint's value {} ({}); the checkpoint fixes "
                  "the architecture and vocabulary options. Drop --{}, or train a new model "
                  "with --overwrite",
                  name, given, kept, path, name);
  }
  log::info("resuming: architecture and vocabulary come from {}/config.yml; options given now "
            "apply to optimisation, data and schedule", dir);
}

// The number of processes mpirun (OpenMPI) or mpiexec (MPICH) started, from their environment
// variable `world` or `local` (processes on this node); 1 when not started by one.
int launcher_size(bool local) {
  const char* names[] = {local ? "OMPI_COMM_WORLD_LOCAL_SIZE" : "OMPI_COMM_WORLD_SIZE",
                         local ? "MPI_LOCALNRANKS" : "PMI_SIZE"};
  for (const char* name : names)
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  return 1;
}

// This process's rank among those mpirun started on this node (0 when not started by one).
int launcher_local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"})
    if (const char* v = std::getenv(name)) return std::max(0, std::atoi(v));
  return 0;
}

int run_train(const std::vector<std::string>& args) {
  po::options_description general("General"), data_opts("Data"), model_opts("Model"),
      moe_opts("Mixture of experts"), train_opts("Training"), valid_opts("Validation");
  using S = std::string;
  using VS = std::vector<std::string>;
  general.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<VS>()->composing(), "YAML config file(s); command-line flags win")
    ("dump-config", po::bool_switch(), "print the effective configuration as YAML and exit")
    ("model,m", po::value<S>(), "checkpoint directory to write (and to resume from)")
    ("resume", po::bool_switch(), "continue training the model in --model exactly where it stopped")
    ("overwrite", po::bool_switch(), "replace an existing model in --model")
    ("seed", bounded<uint64_t>(0, UINT64_MAX)->default_value(1), "random seed (data order, init, dropout)")
    ("cpu-threads", bounded(kCpuThreadsRange)->default_value(0), "CPU threads (0 = all cores)")
    ("devices,d", devices_value(), kDevicesHelp)
    ("log", po::value<S>()->default_value(""), "append JSON-lines records to this file")
    ("log-level", po::value<S>()->default_value("info"), "console log level")
    ("comm-timeout", bounded(0.001, 1e7)->default_value(300.0),
     "multi-process training (mpirun): seconds a collective waits for the other ranks before it "
     "fails naming the rank and update (rank 0's validation and saves: 10x)")
    ("expert-parallel", bounded(train::kExpertParallelRange)->default_value(1),
     "multi-process training: spread the experts of each MoE layer over groups of this many "
     "ranks (must divide the rank count and every MoE layer's expert count; 1 = replicate)");
  data_opts.add_options()
    ("train-sets,t", po::value<VS>()->multitoken()->composing(),
     "parallel training files: SRC TGT [SRC TGT ...]; languages from the last extension "
     "(train.eng_Latn, train.de)")
    ("train-tsv", po::value<VS>()->multitoken()->composing(),
     "TSV training files (src<TAB>tgt, tgt_lang<TAB>src<TAB>tgt, or src_lang<TAB>tgt_lang<TAB>src<TAB>tgt)")
    ("vocabs,v", po::value<S>()->default_value(""), "existing sentencepiece model; default: train one")
    ("vocab-size", bounded(data::kVocabSizeRange)->default_value(8000), "pieces of the trained sentencepiece model")
    ("character-coverage", bounded(data::kCharacterCoverageRange)->default_value(0), "sentencepiece coverage (0 = auto)")
    ("sentencepiece-max-lines", bounded<int64_t>(0, 1'000'000'000)->default_value(2000000), "sentences sampled (temperature-balanced) to train the vocabulary")
    ("both-directions", po::bool_switch(), "also train target->source on every pair")
    ("skip-empty", po::bool_switch(), "drop pairs with an empty side instead of stopping")
    ("max-length", bounded<int>(0, model::kMaxLengthRange.hi)->default_value(256), "longest sequence in tokens")
    ("max-length-crop", po::bool_switch(), "cut longer sequences instead of dropping them")
    ("mini-batch-words", bounded(kMiniBatchWordsRange)->default_value(4096), "token budget of a mini-batch")
    ("mini-batch", bounded<int>(0, kMiniBatchRange.hi)->default_value(0), "at most this many sentences per batch (0 = no cap)")
    ("maxi-batch", bounded(kMaxiBatchRange)->default_value(100), "mini-batches read ahead and sorted by length")
    ("no-shuffle", po::bool_switch(), "keep the corpus order")
    ("data-temperature", bounded(0.01, 1000.0)->default_value(1.0), "sampling temperature over language pairs")
    ("language-groups", po::value<VS>()->multitoken()->composing(),
     "explicit routing groups as CODE=GROUP (default: registry families/branches)")
    ("group-level", po::value<S>()->default_value("branch"), "registry level for groups: family or branch");
  model_opts.add_options()
    ("type", po::value<S>()->default_value("transformer"), "model: transformer or lstm (GNMT-style LSTM encoder-decoder)")
    ("dim-emb", bounded(model::kDimEmbRange)->default_value(256), "model width")
    ("transformer-heads", bounded(model::kHeadsRange)->default_value(4), "attention heads")
    ("transformer-dim-ffn", bounded(model::kDimFfnRange)->default_value(1024), "feed-forward width")
    ("enc-depth", bounded(model::kDepthRange)->default_value(3), "encoder layers")
    ("dec-depth", bounded(model::kDepthRange)->default_value(3), "decoder layers")
    ("transformer-dropout", bounded(model::kDropoutRange)->default_value(0.1f), "residual/embedding dropout")
    ("transformer-dropout-attention", bounded(model::kDropoutRange)->default_value(0.f), "attention-probability dropout")
    ("transformer-ffn-activation", po::value<S>()->default_value("relu"), "relu, gelu or gelu_erf")
    ("tied-embeddings-all", po::value<bool>()->default_value(true), "share source, target and output embeddings")
    ("dim-rnn", bounded(model::kDimRnnRange)->default_value(256), "LSTM hidden size (type lstm)")
    ("enc-type", po::value<S>()->default_value("bidirectional"), "LSTM encoder: bidirectional (first layer) or unidirectional")
    ("enc-cell", po::value<S>()->default_value("lstm"), "encoder cell (type lstm): lstm")
    ("dec-cell", po::value<S>()->default_value("lstm"), "decoder cell (type lstm): lstm");
  moe_opts.add_options()
    ("moe", po::bool_switch(), "use mixture-of-experts feed-forward layers")
    ("moe-experts", bounded(moe::kExpertsRange)->default_value(8), "experts per MoE layer")
    ("moe-top-k", bounded(moe::kTopKRange)->default_value(2), "experts per token (1 = Switch, 2 = GShard)")
    ("moe-every", bounded(moe::kEveryRange)->default_value(2), "every Nth layer is MoE (both stacks)")
    ("moe-enc-every", bounded<int>(-1, moe::kEveryRange.hi)->default_value(-1), "override --moe-every for the encoder")
    ("moe-dec-every", bounded<int>(-1, moe::kEveryRange.hi)->default_value(-1), "override --moe-every for the decoder")
    ("moe-enc-layers", bounded_list<int>(0, model::kDepthRange.hi)->multitoken(), "explicit encoder MoE layers, 0-based (replaces --moe-every; lstm: after LSTM layer i)")
    ("moe-dec-layers", bounded_list<int>(0, model::kDepthRange.hi)->multitoken(), "explicit decoder MoE layers, 0-based (replaces --moe-every; lstm: after LSTM layer i)")
    ("moe-expert-dim-ffn", bounded(moe::kExpertDimFfnRange)->default_value(0), "expert width (0 = --transformer-dim-ffn)")
    ("moe-renormalize", po::value<bool>()->default_value(true), "renormalise the kept top-k gates")
    ("moe-noisy-gating", po::bool_switch(), "noisy top-k gating (Shazeer et al. 2017)")
    ("moe-noise-scale", bounded(moe::kCoefficientRange)->default_value(1.f), "scale of the gating noise")
    ("moe-importance-loss", bounded(moe::kCoefficientRange)->default_value(0.f), "importance loss coefficient")
    ("moe-load-loss", bounded(moe::kCoefficientRange)->default_value(0.f), "load loss coefficient (needs noisy gating)")
    ("moe-switch-loss", bounded(moe::kCoefficientRange)->default_value(0.01f), "Switch/GShard auxiliary loss coefficient")
    ("moe-z-loss", bounded(moe::kCoefficientRange)->default_value(0.001f), "router z-loss coefficient")
    ("moe-capacity-factor", bounded(moe::kCapacityFactorRange)->default_value(1.25f), "capacity factor in training (0 = dropless)")
    ("moe-capacity-factor-eval", bounded(moe::kCapacityFactorRange)->default_value(0.f), "capacity factor for the validation loss (0 = dropless)")
    ("moe-min-capacity", bounded(moe::kMinCapacityRange)->default_value(4), "minimum slots per expert")
    ("moe-shared-experts", bounded(moe::kSharedExpertsRange)->default_value(0), "always-on shared experts")
    ("moe-group-by", po::value<S>()->default_value("none"), "hierarchical routing: none, src, tgt or learned")
    ("moe-enc-group-by", po::value<S>()->default_value(""), "override --moe-group-by for the encoder")
    ("moe-dec-group-by", po::value<S>()->default_value(""), "override --moe-group-by for the decoder")
    ("moe-groups", bounded<int>(0, moe::kGroupsRange.hi)->default_value(0), "expert groups (0 = one per language group)");
  train_opts.add_options()
    ("after", po::value<S>()->default_value("0"), "stop after: 10000u updates, 5e epochs, 10Mt target tokens, 90s/30m/2h of training time (this run); a comma list stops at the first reached: 10000u,30m (0 = never)")
    ("learn-rate,l", bounded(0.f, 1.f)->default_value(3e-4f), "peak learning rate")
    ("lr-warmup", bounded<int64_t>(0, 1'000'000'000)->default_value(4000), "linear warm-up updates")
    ("lr-decay-inv-sqrt", bounded<int64_t>(0, 1'000'000'000)->default_value(0), "start of 1/sqrt decay (0 = end of warm-up)")
    ("optimizer-params", bounded_list(0.f, 1.f)->multitoken(), "Adam beta1 beta2 eps (default 0.9 0.98 1e-9)")
    ("clip-norm", bounded(0.f, 1e6f)->default_value(1.f), "global gradient-norm clipping (0 = off)")
    ("weight-decay", bounded(0.f, 1.f)->default_value(0.f), "decoupled weight decay")
    ("label-smoothing", bounded(0.f, 0.9f)->default_value(0.1f), "label smoothing")
    ("optimizer-delay", bounded<int>(1, 65536)->default_value(1), "accumulate the gradients of N mini-batches per update (as one N times larger batch)")
    ("exponential-smoothing", bounded(0.f, 1.f)->default_value(0.f)->implicit_value(1e-4f), "keep a moving average of the weights with this factor (alone: 1e-4); it is validated and saved as the model")
    ("disp-freq", po::value<S>()->default_value("100u"), "display interval")
    ("save-freq", po::value<S>()->default_value("1000u"), "checkpoint interval")
    ("keep-checkpoints", bounded<int>(0, 1'000'000)->default_value(0), "at each save also write MODEL.iter<update> and keep the N newest (0 = none)");
  valid_opts.add_options()
    ("valid-sets", po::value<VS>()->multitoken()->composing(), "validation files: SRC TGT [SRC TGT ...]")
    ("valid-tsv", po::value<VS>()->multitoken()->composing(), "validation TSV files")
    ("valid-freq", po::value<S>()->default_value("1000u"), "validation interval")
    ("valid-metrics", po::value<VS>()->multitoken(), "ce-mean-words (default), perplexity, bleu, chrf; the first decides early stopping")
    ("keep-best", po::bool_switch(), "keep the best model of every validation metric (MODEL.best-<metric>), not only the first's")
    ("early-stopping", bounded<int>(0, 1'000'000)->default_value(10), "stop after N validations without improvement (0 = never)")
    ("valid-translations", bounded<int>(0, 1'000'000)->default_value(3), "dev sentences translated and printed at each validation")
    ("valid-max-sentences", bounded<int64_t>(0, 1'000'000'000)->default_value(500), "sentences decoded for bleu/chrf");
  po::options_description all("moemt train options");
  all.add(general).add(data_opts).add(model_opts).add(moe_opts).add(train_opts).add(valid_opts);
  po::variables_map vm;
  if (!parse_options("train", args, all, vm)) return 0;
  if (vm["dump-config"].as<bool>()) {
    std::cout << dump_options(all, vm);
    return 0;
  }
  log::set_level(vm["log-level"].as<S>());

  train::TrainOptions o;
  if (vm.count("model")) o.model_dir = vm["model"].as<S>();
  o.resume = vm["resume"].as<bool>();
  o.overwrite = vm["overwrite"].as<bool>();
  o.seed = vm["seed"].as<uint64_t>();
  o.cpu_threads = vm["cpu-threads"].as<int>();
  o.device = device_from_option(vm["devices"].as<VS>(), launcher_local_rank(), launcher_size(true));
  o.log_path = vm["log"].as<S>();
  o.comm_timeout = vm["comm-timeout"].as<double>();
  o.expert_parallel = vm["expert-parallel"].as<int>();
  if (vm.count("train-sets")) o.train_pairs = pairs_from(vm["train-sets"].as<VS>(), "train-sets");
  if (vm.count("train-tsv")) o.train_tsv = tsv_from(vm["train-tsv"].as<VS>());
  if (vm.count("valid-sets")) o.valid_pairs = pairs_from(vm["valid-sets"].as<VS>(), "valid-sets");
  if (vm.count("valid-tsv")) o.valid_tsv = tsv_from(vm["valid-tsv"].as<VS>());
  o.load.both_directions = vm["both-directions"].as<bool>();
  o.load.skip_empty = vm["skip-empty"].as<bool>();
  o.vocab_path = vm["vocabs"].as<S>();
  o.vocab.vocab_size = vm["vocab-size"].as<int>();
  o.vocab.character_coverage = vm["character-coverage"].as<double>();
  o.vocab.max_sentences = vm["sentencepiece-max-lines"].as<int64_t>();
  o.batching.max_length = vm["max-length"].as<int>();
  o.batching.truncate = vm["max-length-crop"].as<bool>();
  o.batching.mini_batch_words = vm["mini-batch-words"].as<int64_t>();
  o.batching.mini_batch = vm["mini-batch"].as<int>();
  o.batching.maxi_batch = vm["maxi-batch"].as<int>();
  o.batching.shuffle = !vm["no-shuffle"].as<bool>();
  o.batching.data_temperature = vm["data-temperature"].as<double>();
  if (vm.count("language-groups"))
    for (const auto& kv : vm["language-groups"].as<VS>()) {
      auto eq = kv.find('=');
      if (eq == S::npos || eq == 0 || eq + 1 == kv.size())
        throw Error("--language-groups: '{}' is not CODE=GROUP", kv);
      o.language_groups.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
    }
  o.group_level = vm["group-level"].as<S>();
  if (o.group_level != "family" && o.group_level != "branch")
    throw Error("--group-level must be family or branch, not '{}'", o.group_level);

  auto& m = o.model;
  m.type = model::model_type_from_name(vm["type"].as<S>());
  m.d_model = vm["dim-emb"].as<int64_t>();
  m.heads = vm["transformer-heads"].as<int>();
  m.ffn_dim = vm["transformer-dim-ffn"].as<int64_t>();
  m.enc_layers = vm["enc-depth"].as<int>();
  m.dec_layers = vm["dec-depth"].as<int>();
  m.dropout = vm["transformer-dropout"].as<float>();
  m.attention_dropout = vm["transformer-dropout-attention"].as<float>();
  m.activation = ops::activation_from_name(vm["transformer-ffn-activation"].as<S>());
  m.tied_embeddings = vm["tied-embeddings-all"].as<bool>();
  m.dim_rnn = vm["dim-rnn"].as<int64_t>();
  m.enc_type = model::encoder_type_from_name(vm["enc-type"].as<S>());
  m.enc_cell = vm["enc-cell"].as<S>();
  m.dec_cell = vm["dec-cell"].as<S>();
  if (vm.count("moe-enc-layers")) m.moe_enc_layers = vm["moe-enc-layers"].as<std::vector<int>>();
  if (vm.count("moe-dec-layers")) m.moe_dec_layers = vm["moe-dec-layers"].as<std::vector<int>>();
  m.max_length = o.batching.max_length > 0 ? o.batching.max_length : 1024;
  m.use_moe = vm["moe"].as<bool>();
  for (int s = 0; s < 2; ++s) {
    moe::MoeConfig& c = s == 0 ? m.moe.encoder : m.moe.decoder;
    int every = vm[s == 0 ? "moe-enc-every" : "moe-dec-every"].as<int>();
    c.every = every >= 0 ? every : vm["moe-every"].as<int>();
    c.num_experts = vm["moe-experts"].as<int>();
    c.top_k = vm["moe-top-k"].as<int>();
    c.expert_d_ff = vm["moe-expert-dim-ffn"].as<int64_t>();
    c.renormalize = vm["moe-renormalize"].as<bool>();
    c.noisy_gating = vm["moe-noisy-gating"].as<bool>();
    c.noise_scale = vm["moe-noise-scale"].as<float>();
    c.importance_loss_coef = vm["moe-importance-loss"].as<float>();
    c.load_loss_coef = vm["moe-load-loss"].as<float>();
    c.switch_loss_coef = vm["moe-switch-loss"].as<float>();
    c.z_loss_coef = vm["moe-z-loss"].as<float>();
    c.capacity_factor_train = vm["moe-capacity-factor"].as<float>();
    c.capacity_factor_eval = vm["moe-capacity-factor-eval"].as<float>();
    c.min_capacity = vm["moe-min-capacity"].as<int64_t>();
    c.num_shared_experts = vm["moe-shared-experts"].as<int>();
    S group_by = vm[s == 0 ? "moe-enc-group-by" : "moe-dec-group-by"].as<S>();
    c.group_by = moe::group_by_from_name(group_by.empty() ? vm["moe-group-by"].as<S>() : group_by);
    // Groups only mean something to a stack that routes hierarchically.
    c.num_groups = c.group_by == moe::GroupBy::none ? 1 : std::max(1, vm["moe-groups"].as<int>());
  }

  o.after = parse_budget("after", vm["after"].as<S>());
  o.disp_freq = parse_schedule("disp-freq", vm["disp-freq"].as<S>());
  o.save_freq = parse_schedule("save-freq", vm["save-freq"].as<S>());
  o.valid_freq = parse_schedule("valid-freq", vm["valid-freq"].as<S>());
  o.lr.base_lr = vm["learn-rate"].as<float>();
  o.lr.warmup = vm["lr-warmup"].as<int64_t>();
  o.lr.decay_inv_sqrt = vm["lr-decay-inv-sqrt"].as<int64_t>();
  if (vm.count("optimizer-params")) {
    auto p = vm["optimizer-params"].as<std::vector<float>>();
    if (p.size() != 3) throw Error("--optimizer-params takes 3 values: beta1 beta2 eps");
    // beta = 1 divides by zero in the bias correction; eps = 0 gives 0/0 for unused weights.
    if (p[0] >= 1 || p[1] >= 1 || p[2] <= 0)
      throw Error("--optimizer-params: need beta1 < 1, beta2 < 1 and eps > 0, got {} {} {}", p[0],
                  p[1], p[2]);
    o.adam.beta1 = p[0];
    o.adam.beta2 = p[1];
    o.adam.eps = p[2];
  }
  o.adam.clip_norm = vm["clip-norm"].as<float>();
  o.adam.weight_decay = vm["weight-decay"].as<float>();
  o.label_smoothing = vm["label-smoothing"].as<float>();
  o.optimizer_delay = vm["optimizer-delay"].as<int>();
  o.exponential_smoothing = vm["exponential-smoothing"].as<float>();
  o.keep_checkpoints = vm["keep-checkpoints"].as<int>();
  o.keep_best = vm["keep-best"].as<bool>();
  if (vm.count("valid-metrics")) {
    o.valid_metrics.clear();
    for (const auto& name : vm["valid-metrics"].as<VS>())
      o.valid_metrics.push_back(train::valid_metric_from_name(name));
  }
  o.early_stopping = vm["early-stopping"].as<int>();
  o.valid_translations = vm["valid-translations"].as<int>();
  o.valid_max_sentences = vm["valid-max-sentences"].as<int64_t>();

  if (o.resume && !o.model_dir.empty()) {
    std::vector<S> fixed = {"vocabs", "vocab-size", "character-coverage", "sentencepiece-max-lines",
                            "language-groups", "group-level"};
    for (const auto* group : {&model_opts, &moe_opts})
      for (const auto& opt : group->options()) fixed.push_back(opt->long_name());
    check_resume_options(fixed, all, vm, o.model_dir);
  }
  // Processes started on one node share its cores: "all cores" means this rank's share.
  const int local_ranks = launcher_size(true);
  if (o.cpu_threads == 0 && local_ranks > 1) o.cpu_threads = std::max(1, available_cores() / local_ranks);
  o.cpu_threads = cap_cpu_threads(o.cpu_threads);
  if (!o.resume) {
    // Before any data is read: the parameters, their gradients and Adam's moments must fit.
    // The vocabulary is not trained yet; --vocab-size stands in for its size.
    model::ModelConfig sized = o.model;
    sized.vocab_size = std::max(1, o.vocab.vocab_size);
    check_memory(model::training_state_bytes(sized),
                 fmt::format("a model of {:.3g} parameters (for values, gradients and Adam moments)",
                             static_cast<double>(sized.parameter_count())),
                 "--dim-emb, --transformer-dim-ffn, --enc-depth/--dec-depth, --moe-experts, "
                 "--moe-expert-dim-ffn or --vocab-size",
                 o.device);
  }
  // Started by mpirun with several processes: data-parallel training over MPI.
  std::unique_ptr<dist::Communicator> comm = launcher_size(false) > 1
                                                 ? dist::make_mpi_world(o.comm_timeout)
                                                 : dist::make_local(o.comm_timeout);
  if (comm->rank() != 0) log::set_level("error");  // rank 0 logs for all
  train::TrainResult result;
  try {
    train::Trainer trainer(std::move(o), dump_options(all, vm), comm.get());
    result = trainer.run();
  } catch (const std::exception& e) {
    // A failing rank stops every rank (MPI_Abort after printing the error) instead of leaving
    // them waiting in the next collective.
    if (comm->size() > 1) comm->abort(e.what());
    throw;
  }
  // Interrupted runs saved a checkpoint but did not finish: the usual 128 + signal status keeps
  // `moemt train && moemt eval` from going on.
  return result.interrupted_by ? 128 + result.interrupted_by : 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("train", "train a model (Marian-style options, -c config.yml)", run_train);
}  // namespace moemt::cli
