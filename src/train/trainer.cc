// The training loop and its bookkeeping (display, validation, checkpoints, resume).
#include "train/trainer.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "core/file_io.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/threads.h"
#include "data/batch.h"
#include "data/language.h"
#include "data/sample.h"
#include "decode/translator.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "model/checkpoint.h"
#include "nn/precision.h"
#include "ops/accumulate.h"
#include "ops/ema.h"
#include "train/checkpoint.h"
#include "train/expert_shard.h"
#include "train/grad_buckets.h"
#include "train/interrupt.h"
#include "train/loss_history.h"

namespace moemt::train {

using Clock = std::chrono::steady_clock;

ValidMetric valid_metric_from_name(const std::string& name) {
  if (name == "ce-mean-words" || name == "cross-entropy") return ValidMetric::ce_mean_words;
  if (name == "perplexity") return ValidMetric::perplexity;
  if (name == "bleu" || name == "bleu-detok") return ValidMetric::bleu;
  if (name == "chrf") return ValidMetric::chrf;
  throw Error("unknown validation metric '{}' (use ce-mean-words, perplexity, bleu or chrf)", name);
}

const char* valid_metric_name(ValidMetric m) {
  switch (m) {
    case ValidMetric::ce_mean_words: return "ce-mean-words";
    case ValidMetric::perplexity: return "perplexity";
    case ValidMetric::bleu: return "bleu";
    case ValidMetric::chrf: return "chrf";
  }
  return "?";
}

bool higher_is_better(ValidMetric m) { return m == ValidMetric::bleu || m == ValidMetric::chrf; }

struct Trainer::ValidSet {
  std::vector<data::Example> examples;
  std::vector<data::Sample> samples;
};

// With --exponential-smoothing, puts the moving average into the model for its lifetime (for
// validation and saving) and then the raw weights back, copied exactly so that training goes
// on bit-for-bit as if nothing happened. Nested scopes do nothing.
class Trainer::AverageScope {
 public:
  explicit AverageScope(Trainer& t) : t_(t) {
    if (!t_.average_.defined() || t_.average_in_model_) return;
    Tensor values = t_.model_->params().values();
    t_.raw_.copy_from(values);
    values.copy_from(t_.average_);
    nn::refresh_compute_copy(t_.model_->params());  // --precision bfloat16: the GEMMs' copy
    t_.average_in_model_ = active_ = true;
  }
  ~AverageScope() {
    if (!active_) return;
    t_.model_->params().values().copy_from(t_.raw_);
    nn::refresh_compute_copy(t_.model_->params());
    t_.average_in_model_ = false;
  }
  AverageScope(const AverageScope&) = delete;
  AverageScope& operator=(const AverageScope&) = delete;

 private:
  Trainer& t_;
  bool active_ = false;
};

model::BatchTensors batch_tensors(const data::Batch& b, Device d) {
  model::BatchTensors t;
  int64_t B = b.batch_size;
  auto mk = [&](const std::vector<int32_t>& v, Shape s) {
    Tensor x = Tensor::from_vector(v, s);
    return d.is_cpu() ? x : x.to(d);
  };
  t.src_ids = mk(b.src_ids, {B, b.src_len});
  t.src_lengths = mk(b.src_lengths, {B});
  t.tgt_in = mk(b.tgt_in, {B, b.tgt_len});
  t.tgt_out = mk(b.tgt_out, {B, b.tgt_len});
  t.src_lengths_host = b.src_lengths;
  t.tgt_lengths_host = b.tgt_lengths;
  t.src_lang = b.src_lang;
  t.tgt_lang = b.tgt_lang;
  return t;
}

Trainer::Trainer(TrainOptions options, std::string train_yaml, dist::Communicator* comm)
    : opt_(std::move(options)), train_yaml_(std::move(train_yaml)) {
  if (comm == nullptr) {
    own_comm_ = dist::make_local(opt_.comm_timeout);
    comm = own_comm_.get();
  }
  comm_ = comm;
  comm_->set_timeout(opt_.comm_timeout);
  lead_ = comm_->rank() == 0;
  set_num_threads(opt_.cpu_threads);
  if (opt_.model_dir.empty()) throw Error("--model is required: the directory to write the model to");
  // Nothing that is not a moemt model is ever replaced: check the model folder and the
  // best-model folder before any work, and clear what a killed save left behind.
  check_checkpoint_target(opt_.model_dir);
  std::vector<std::string> written = {opt_.model_dir};
  const size_t best_kept = opt_.keep_best ? std::max<size_t>(opt_.valid_metrics.size(), 1) : 1;
  for (size_t m = 0; m < best_kept; ++m) written.push_back(best_dir(m));
  if (!opt_.valid_pairs.empty() || !opt_.valid_tsv.empty())
    for (size_t m = 0; m < best_kept; ++m)
      check_checkpoint_target(best_dir(m), "--model (best-model folder)");
  for (const std::string& d : written)
    if (int n = lead_ ? remove_stale_temps(d) : 0)
      log::info("removed {} stale temporary folder(s) of {} left by an interrupted save", n, d);
  if (opt_.optimizer_delay < 1)
    throw Error("--optimizer-delay {}: must be at least 1", opt_.optimizer_delay);
  if (opt_.expert_parallel < 1 || comm_->size() % opt_.expert_parallel != 0)
    throw Error("--expert-parallel {}: must divide the number of ranks ({})",
                opt_.expert_parallel, comm_->size());
  // Checked again on the built model (ExpertShard); here before any vocabulary training.
  if (opt_.expert_parallel > 1 && !opt_.resume && opt_.model.use_moe)
    for (const moe::MoeConfig* m : {&opt_.model.moe.encoder, &opt_.model.moe.decoder})
      if (m->every > 0 && m->num_experts % opt_.expert_parallel != 0)
        throw Error("--expert-parallel {}: must divide the expert count of every MoE layer ({} "
                    "experts; see --moe-experts)",
                    opt_.expert_parallel, m->num_experts);
  if (!(opt_.exponential_smoothing >= 0.f && opt_.exponential_smoothing <= 1.f))
    throw Error("--exponential-smoothing {}: must be in [0, 1]", opt_.exponential_smoothing);
  bool exists = model::is_model_dir(opt_.model_dir);
  if (opt_.resume && !exists)
    throw Error("{}: nothing to resume (no checkpoint there); drop --resume to start training",
                opt_.model_dir);
  if (!opt_.resume && exists && !opt_.overwrite)
    throw Error("{}: a model already exists there; pass --resume to continue training it or "
                "--overwrite to start again",
                opt_.model_dir);
  if (!opt_.log_path.empty() && lead_) log::set_json_path(opt_.log_path);
  load_data();
  build_model();
  if (comm_->size() > 1) {
    log::info("data parallel: {} ranks ({}), rank {}; each trains on its shard of every batch of "
              "--mini-batch-words {}",
              comm_->size(), comm_->backend(), comm_->rank(), opt_.batching.mini_batch_words);
    check_replicas(opt_.resume ? "after resuming" : "after initialisation");
  }
  if (shard_) {
    adam_->set_shard(model_->params().dense_numel(), shard_->local_ranges(),
                     &shard_->expert_group());
    log::info(
        "expert parallel: groups of {} ranks, each holds and runs 1/{} of every MoE layer's "
        "experts ({} replicas of each expert); this rank's group spans {} node(s)",
        opt_.expert_parallel, opt_.expert_parallel, comm_->size() / opt_.expert_parallel,
        shard_->group_nodes());
  }
  if (comm_->size() > 1) log_memory();
}

void Trainer::log_memory() {
  // Values, gradients and the two Adam moments; with smoothing also the average and the raw
  // weights it swaps with. Rank 0 logs every rank's figure (a collective).
  const ParamStore& ps = model_->params();
  const int64_t buffers = 4 + (average_.defined() ? 2 : 0);
  const int64_t whole = ps.full_numel() * buffers * 4;
  std::vector<double> bytes(static_cast<size_t>(comm_->size()), 0.0);
  bytes[static_cast<size_t>(comm_->rank())] = static_cast<double>(ps.numel() * buffers * 4);
  comm_->all_reduce_sum(bytes.data(), static_cast<int64_t>(bytes.size()), "parameter memory");
  if (!lead_) return;
  std::string per_rank;
  for (size_t r = 0; r < bytes.size(); ++r)
    per_rank += fmt::format("{}{:.2f} MiB ({:.1f}%)", r ? ", " : "", bytes[r] / 1048576.0,
                            100.0 * bytes[r] / static_cast<double>(std::max<int64_t>(whole, 1)));
  log::info(
      "parameter memory per rank ({} buffers: values, gradients, Adam moments{}): {}; a "
      "whole replica takes {:.2f} MiB",
      buffers, average_.defined() ? ", average, raw weights" : "", per_rank, whole / 1048576.0);
  nlohmann::json rec = {{"type", "memory"}, {"replica_param_buffer_bytes", whole}};
  for (double b : bytes) rec["param_buffer_bytes_per_rank"].push_back(static_cast<int64_t>(b));
  log::json(rec);
}

Trainer::~Trainer() = default;

int32_t Trainer::lang_index(std::string_view code) const {
  for (size_t i = 0; i < languages_.size(); ++i)
    if (languages_[i] == code) return static_cast<int32_t>(i);
  throw Error("language '{}' is not one of the model's languages ({})", code,
              fmt::format("{}", fmt::join(languages_, ", ")));
}

namespace {
// Maps any registry code (de, deu, deu_Latn) to its FLORES code, for tags and routing.
void canonicalise(std::vector<data::Example>& ex) {
  const auto& reg = data::LanguageRegistry::builtin();
  std::map<std::string, std::string, std::less<>> memo;
  auto canon = [&](std::string& code) {
    auto it = memo.find(code);
    if (it == memo.end()) it = memo.emplace(code, reg.get(code).flores).first;
    code = it->second;
  };
  for (auto& e : ex) {
    canon(e.src_lang);
    canon(e.tgt_lang);
  }
}
}  // namespace

namespace {
// A sub-model (`moemt extract`) holds the experts of its languages only.
void check_served(const model::ModelConfig& cfg, const std::vector<data::Example>& examples,
                  const std::string& dir, const char* what) {
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("any") : fmt::format("{}", fmt::join(v, ", "));
  };
  for (const auto& e : examples)
    if (!cfg.serves_src(e.src_lang) || !cfg.serves_tgt(e.tgt_lang))
      throw Error("{}: this sub-model serves {} -> {} only; the {} data has {} -> {} (train the "
                  "full model for other languages)",
                  dir, list(cfg.src_languages), list(cfg.tgt_languages), what, e.src_lang,
                  e.tgt_lang);
}
}  // namespace

void Trainer::load_data() {
  if (opt_.train_pairs.empty() && opt_.train_tsv.empty())
    throw Error("no training data: give --train-sets SRC TGT (or --train-tsv FILE)");
  data::LoadStats ls;
  auto examples = data::load_examples(opt_.train_pairs, opt_.train_tsv, opt_.load, &ls);
  canonicalise(examples);
  log::info("training data: {} pairs read, {} examples ({} skipped empty, {} too long)", ls.read,
            ls.examples, ls.skipped_empty, ls.skipped_long);

  std::string resume_dir = opt_.model_dir;
  if (opt_.resume) {
    model::ModelConfig cfg = model::load_model_config(resume_dir);
    languages_ = cfg.languages;
    groups_ = cfg.language_groups;
    vocab_ = data::Vocab::from_serialized(model::load_vocab_bytes(resume_dir),
                                          resume_dir + "/" + model::kVocabFile);
    opt_.model = cfg;
    check_served(cfg, examples, resume_dir, "training");
  } else {
    std::set<std::string> langs;
    for (const auto& e : examples) {
      langs.insert(e.src_lang);
      langs.insert(e.tgt_lang);
    }
    languages_.assign(langs.begin(), langs.end());
    const auto& reg = data::LanguageRegistry::builtin();
    std::map<std::string, std::string> explicit_groups;
    for (const auto& [code, group] : opt_.language_groups)
      explicit_groups[reg.get(code).flores] = group;
    for (const auto& l : languages_) {
      const auto& lang = reg.get(l);
      if (explicit_groups.count(l)) groups_.push_back(explicit_groups[l]);
      else if (opt_.group_level == "family") groups_.push_back(lang.family);
      else groups_.push_back(lang.family + "/" + lang.branch);
    }
    // Check the architecture now: a bad MoE setting must not cost a vocabulary training.
    fill_model_config(std::max(1, opt_.vocab.vocab_size));
    if (!opt_.vocab_path.empty()) {
      vocab_ = data::Vocab::load(opt_.vocab_path);
    } else if (lead_) {
      auto vo = opt_.vocab;
      vo.extra_langs = languages_;
      vo.seed = opt_.seed;
      log::info("training a joint sentencepiece vocabulary of {} pieces on {} languages",
                vo.vocab_size, languages_.size());
      vocab_ = data::Vocab::train(examples, vo);
    }
    if (opt_.vocab_path.empty() && comm_->size() > 1) {
      // Rank 0 trains the vocabulary once (its training is not promised to be bit-identical
      // across processes); the others receive its bytes.
      std::string bytes = lead_ ? vocab_.serialized() : std::string();
      {
        dist::TimeoutScope long_wait(*comm_, 10 * opt_.comm_timeout);
        dist::broadcast_string(*comm_, bytes, 0, "vocabulary");
      }
      if (!lead_) vocab_ = data::Vocab::from_serialized(bytes, "the vocabulary of rank 0");
    }
  }
  if (comm_->size() > 1)
    dist::check_same(*comm_, fnv1a64(vocab_.serialized()), "the vocabulary", "loading data");
  auto samples = data::encode_examples(vocab_, examples,
                                       [this](std::string_view c) { return lang_index(c); });
  auto bo = opt_.batching;
  bo.seed = opt_.seed;
  gen_ = std::make_unique<data::BatchGenerator>(std::move(samples), bo);
  if (comm_->size() > 1)
    dist::check_same(*comm_, gen_->position().fingerprint,
                     "the training data or batching options (data fingerprint)", "loading data");

  if (!opt_.valid_pairs.empty() || !opt_.valid_tsv.empty()) {
    valid_ = std::make_unique<ValidSet>();
    valid_->examples = data::load_examples(opt_.valid_pairs, opt_.valid_tsv, opt_.load);
    canonicalise(valid_->examples);
    if (opt_.resume) check_served(opt_.model, valid_->examples, resume_dir, "validation");
    valid_->samples = data::encode_examples(vocab_, valid_->examples,
                                            [this](std::string_view c) { return lang_index(c); });
  }
}

void Trainer::fill_model_config(int64_t vocab_size) {
  opt_.model.vocab_size = vocab_size;
  opt_.model.languages = languages_;
  opt_.model.language_groups = groups_;
  // Family routing with the default group count: one group per distinct family present.
  std::set<std::string> distinct(groups_.begin(), groups_.end());
  for (auto* m : {&opt_.model.moe.encoder, &opt_.model.moe.decoder})
    if ((m->group_by == moe::GroupBy::src_family || m->group_by == moe::GroupBy::tgt_family) &&
        m->num_groups <= 1)
      m->num_groups = static_cast<int>(distinct.size());
  opt_.model.validate();
}

void Trainer::build_model() {
  if (!opt_.resume) fill_model_config(vocab_.size());
  model_ = model::make_model(opt_.model);
  if (opt_.expert_parallel > 1) {
    // Before the store is laid out: this rank then holds its own experts only.
    shard_ = std::make_unique<ExpertShard>(*comm_, opt_.expert_parallel, *model_);
    shard_->release_remote_experts();
  }
  model_->finalize(opt_.device, opt_.seed);
  adam_ = std::make_unique<Adam>(model_->params(), opt_.adam);
  const ParamStore& ps = model_->params();
  if (comm_->size() > 1 && !shard_ && opt_.overlap_grad_reduce &&
      !model_->backward_units().empty())
    overlap_ = std::make_unique<OverlappedGradSum>(
        ps, model_->backward_units(), 0, ps.numel(),
        static_cast<int64_t>(opt_.bucket_cap_mb * 1024 * 1024));
  if (overlap_)
    log::info("gradient sums start during backward: {} buckets over {} backward units",
              overlap_->buckets(), model_->backward_units().size());
  log::info("model: {} parameters ({} dense, {} in experts), {} MoE layers, vocabulary {}",
            ps.full_numel(), ps.dense_numel(), ps.full_numel() - ps.dense_numel(),
            model_->moe_layers().size(), vocab_.size());
  best_.assign(opt_.valid_metrics.size(), std::nan(""));
  if (opt_.exponential_smoothing > 0) {
    average_ = model_->params().values().clone();
    raw_ = Tensor::zeros({model_->params().numel()}, DType::f32, model_->params().device());
  }
  if (opt_.resume) {
    resumed_state_ =
        load_checkpoint(opt_.model_dir, *model_, *adam_, average_.defined() ? &average_ : nullptr);
    try {
      updates_ = resumed_state_.at("updates").get<int64_t>();
      epochs_done_ = resumed_state_.at("epochs").get<int64_t>();
      tgt_tokens_seen_ = resumed_state_.at("target_tokens").get<int64_t>();
      stalls_ = resumed_state_.at("stalls").get<int>();
      auto best = resumed_state_.at("best");
      for (size_t i = 0; i < opt_.valid_metrics.size(); ++i) {
        auto key = valid_metric_name(opt_.valid_metrics[i]);
        if (best.contains(key) && !best[key].is_null()) best_[i] = best[key].get<double>();
      }
      // A sub-model's state has no data position: it trains on other data than the full model.
      if (resumed_state_.contains("data_position"))
        gen_->seek(data::Position::from_json(resumed_state_.at("data_position")));
      else
        log::info("{}: no data position in {} (an extracted sub-model): data from the start",
                  opt_.model_dir, kStateFile);
      if (resumed_state_.contains("routing"))
        routing_total_ = moe::RoutingStats::from_state(resumed_state_.at("routing"));
    } catch (const nlohmann::json::exception& e) {
      throw Error("{}/{}: corrupt training state ({})", opt_.model_dir, kStateFile, e.what());
    }
    log::info("resumed from {} at update {}", opt_.model_dir, updates_);
  }
  // --precision bfloat16: the GEMMs read a bf16 copy of the (initialised or loaded) f32 master
  // weights, refreshed after every change of them (updates, averaged-weight swaps, expert syncs).
  nn::set_compute_precision(model_->params(), opt_.precision);
  if (opt_.precision != DType::f32 && lead_)
    log::info(
        "precision: GEMM inputs in {} (f32 master weights, optimizer state and "
        "accumulation){}",
        dtype_name(opt_.precision),
        opt_.device.is_cpu() ? "; the CPU widens them back to f32: a reference, slower "
                               "than float32"
                             : "");
}

model::BatchTensors Trainer::to_tensors(const data::Batch& b) const {
  return batch_tensors(b, opt_.device);
}

nlohmann::json Trainer::state_json() const {
  nlohmann::json best = nlohmann::json::object();
  for (size_t i = 0; i < opt_.valid_metrics.size(); ++i)
    best[valid_metric_name(opt_.valid_metrics[i])] =
        std::isnan(best_[i]) ? nlohmann::json(nullptr) : nlohmann::json(best_[i]);
  moe::RoutingStats total = routing_total_;
  total.merge(routing_);
  return {{"updates", updates_},
          {"epochs", epochs_done_},
          {"target_tokens", tgt_tokens_seen_},
          {"stalls", stalls_},
          {"best", best},
          {"seed", opt_.seed},
          {"data_position", gen_->position().to_json()},
          {"routing", total.state()}};
}

std::string Trainer::base_path() const {
  std::string base = opt_.model_dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base;
}

std::string Trainer::best_dir(size_t metric) const {
  return metric >= opt_.valid_metrics.size()
             ? base_path() + ".best"
             : base_path() + ".best-" + valid_metric_name(opt_.valid_metrics[metric]);
}

Clock::time_point Trainer::now() const { return opt_.clock ? opt_.clock() : Clock::now(); }

void Trainer::save(const std::string& dir) {
  // Marian's smoothing: the average is the model (what translate loads); the raw weights ride
  // along in optimizer.safetensors for --resume.
  if (shard_) {
    // Every expert, gathered on rank 0 (the average already in the model files).
    MOEMT_CHECK(gathered_ != nullptr, "expert-parallel save without the gathered model");
    save_checkpoint(
        dir, {gathered_->model.get(), &vocab_.serialized(), gathered_->adam.get(), state_json(),
              train_yaml_, gathered_->raw.defined() ? &gathered_->raw : nullptr});
    return;
  }
  AverageScope average(*this);
  save_checkpoint(dir, {model_.get(), &vocab_.serialized(), adam_.get(), state_json(), train_yaml_,
                        average_.defined() ? &raw_ : nullptr});
}

void Trainer::save_periodic() {
  save(opt_.model_dir);
  if (opt_.keep_checkpoints <= 0 || last_iter_saved_ == updates_) return;
  save(base_path() + ".iter" + std::to_string(updates_));
  last_iter_saved_ = updates_;
  prune_iterations();
}

void Trainer::prune_iterations() {
  namespace fs = std::filesystem;
  const fs::path base(base_path());
  fs::path folder = base.parent_path().empty() ? fs::path(".") : base.parent_path();
  const std::string prefix = base.filename().string() + ".iter";
  std::vector<std::pair<int64_t, std::string>> iters;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string digits = name.substr(prefix.size());
    if (size_t old = digits.find(".old."); old != std::string::npos) {
      // Left by a kill during an earlier removal: gone if its process is.
      remove_stale_temps((folder / (prefix + digits.substr(0, old))).string());
      continue;
    }
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) continue;
    iters.push_back({std::stoll(digits), entry.path().string()});
  }
  std::sort(iters.rbegin(), iters.rend());
  for (size_t i = static_cast<size_t>(opt_.keep_checkpoints); i < iters.size(); ++i) {
    const std::string& dir = iters[i].second;
    // A folder of that name that is not a moemt model is the user's: never deleted.
    if (!model::is_model_dir(dir)) {
      log::warn("{}: not a moemt model, left in place (--keep-checkpoints)", dir);
      continue;
    }
    // Renamed first, so a kill during the removal leaves a temp name remove_stale_temps knows.
    std::string old = temp_sibling(dir, "old");
    fs::rename(dir, old, ec);
    if (ec) throw Error("{}: cannot remove an old checkpoint ({})", dir, ec.message());
    fs::remove_all(old, ec);
  }
}

namespace {
// FNV-1a over a tensor's bytes (copied to the host first if it lives on a device).
uint64_t checksum(const Tensor& t, uint64_t h = 0xcbf29ce484222325ull) {
  Tensor host = t.device().is_cpu() ? t : t.to(Device::cpu());
  const auto* p = static_cast<const unsigned char*>(host.raw());
  for (size_t i = 0; i < host.nbytes(); ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// Dropout and gating noise must differ between ranks (they see different sentences); rank 0
// keeps the run's seed, so a one-process run is unchanged.
uint64_t rank_seed(uint64_t seed, int rank) {
  if (rank == 0) return seed;
  auto w = philox4x32(seed, 0x5eed0000d15a11ull, static_cast<uint64_t>(rank));
  return (static_cast<uint64_t>(w[0]) << 32) | w[1];
}
}  // namespace

void Trainer::check_replicas(const std::string& context) {
  // Same seed => same initialisation, and the summed gradients are bitwise equal on every rank,
  // so the replicas must agree exactly; a difference is a bug or a mismatched set-up. With
  // expert parallelism the dense range is compared over all ranks, the experts over replicas.
  const int64_t n = model_->params().numel(), d = shard_ ? model_->params().dense_numel() : n;
  auto hash = [&](int64_t b, int64_t e) {
    uint64_t h = checksum(model_->params().values().narrow(b, e - b));
    h = checksum(adam_->m().narrow(b, e - b), h);
    return checksum(adam_->v().narrow(b, e - b), h);
  };
  dist::check_same(*comm_, hash(0, d), "the parameter and optimizer-state checksum", context);
  if (shard_ && shard_->replica_group().size() > 1 && d < n)
    dist::check_same(shard_->replica_group(), hash(d, n),
                     "the expert parameter and optimizer-state checksum", context);
}

void Trainer::sync_routing(const std::string& context) {
  if (comm_->size() == 1) return;
  auto states = dist::gather_strings(*comm_, routing_.state().dump(), 0, context);
  if (!lead_) {
    routing_.reset();
    return;
  }
  for (size_t r = 1; r < states.size(); ++r)
    routing_.merge(moe::RoutingStats::from_state(nlohmann::json::parse(states[r])));
}

void Trainer::gather_experts(const std::string& context) {
  if (!shard_) return;
  // The exchange is bookkeeping, not a training step: its bytes are left out of the log.
  traffic_.add(shard_->take_traffic());
  // Marian's smoothing: the average is the model validated and saved; the raw weights ride
  // along for --resume.
  AverageScope average(*this);
  gathered_ =
      shard_->gather_model(model_->config(), *adam_, average_.defined() ? &raw_ : nullptr, context);
  shard_->take_traffic();
}

dist::Communicator::Traffic Trainer::take_traffic() {
  dist::Communicator::Traffic t = traffic_;
  traffic_ = {};
  t.add(shard_ ? shard_->take_traffic() : comm_->traffic());
  if (!shard_) comm_->reset_traffic();
  return t;
}

void Trainer::save_synced(const std::string& context) {
  if (comm_->size() > 1) {
    sync_routing(context);
    check_replicas(context);
  }
  gather_experts(context);
  if (lead_) save_periodic();
  gathered_.reset();
  if (comm_->size() > 1) {
    dist::TimeoutScope long_wait(*comm_, 10 * opt_.comm_timeout);
    comm_->barrier(context + ", rank 0 writing " + opt_.model_dir);
  }
}

double Trainer::validate_synced(TrainResult& result) {
  std::string context = fmt::format("validation at update {}", updates_);
  last_valid_update_ = updates_;  // on every rank: they decide alike whether to validate at the end
  gather_experts(context);        // rank 0 validates with every expert
  // --precision bfloat16: the gathered model validates in the same precision as training.
  if (gathered_)
    nn::set_compute_precision(gathered_->model->params(), model_->params().compute_dtype());
  sync_routing(context);
  double out[2] = {0, 0};  // the first metric, stalls
  if (lead_) {
    out[0] = validate(result);
    out[1] = stalls_;
  }
  gathered_.reset();
  if (comm_->size() > 1) {
    dist::TimeoutScope long_wait(*comm_, 10 * opt_.comm_timeout);
    comm_->broadcast_bytes(out, sizeof(out), 0, context);
    if (!lead_) {
      result.valid_scores.push_back(out[0]);
      stalls_ = static_cast<int>(out[1]);
    }
  }
  return out[0];
}

Trainer::StepStats Trainer::compute_gradients(nn::Ctx& ctx, const data::Batch& batch,
                                              const std::string& context) {
  return compute_gradients(ctx, std::vector<data::Batch>{batch}, context);
}

Trainer::StepStats Trainer::compute_gradients(nn::Ctx& ctx, const std::vector<data::Batch>& micro,
                                              const std::string& context) {
  const int ranks = comm_->size();
  model_->params().zero_grad();
  // The update's loss is the mean over all T target tokens of its mini-batches (--optimizer-
  // delay) on all ranks; a piece holding T_i of them computes its own mean, so weighting its
  // gradient by T_i / T makes the pieces add up to the one-batch, one-process gradient (and a
  // rank's empty shard adds zeros). One piece gets exactly 1, so a plain step is unchanged.
  int64_t total = 0;
  for (const auto& b : micro) total += b.tgt_tokens;
  const bool whole = micro.size() == 1 && ranks == 1;
  // The statistics add up on the device (no host read per step); LossHistory reads them.
  model::LossStats sum = model::LossStats::zeros(ctx.device);
  Tensor sum_ce = sum.sums.narrow(0, model::LossStats::kAuxLoss);
  Tensor sum_aux = sum.sums.narrow(model::LossStats::kAuxLoss, 1);
  data::Batch shard;
  // --overlap-grad-reduce: the last mini-batch's backward starts the sums (earlier ones still
  // add to the gradients).
  Tensor grads = model_->params().grads();
  if (overlap_) overlap_->begin();
  struct HookScope {
    nn::Ctx& c;
    ~HookScope() { c.on_grads_final = nullptr; }
  } hook_scope{ctx};
  for (size_t i = 0; i < micro.size(); ++i) {
    const data::Batch& b = micro[i];
    if (overlap_ && i + 1 == micro.size())
      ctx.on_grads_final = [&](const std::string& unit) {
        overlap_->unit_final(*comm_, grads, unit, context);
      };
    if (ranks > 1) data::shard_batch(b, comm_->rank(), ranks, shard);
    const data::Batch& piece = ranks > 1 ? shard : b;
    if (piece.batch_size == 0 && shard_) {
      // An empty shard still takes part in its expert group's all-to-alls: it runs the batch's
      // first sentence with weight 0 (zero gradients, no statistics).
      data::shard_batch(b, 0, b.batch_size, shard);
      moe::RoutingStats* stats = std::exchange(ctx.routing_stats, nullptr);
      model_->forward_backward(ctx, to_tensors(shard), opt_.label_smoothing, 0.f);
      ctx.routing_stats = stats;
      continue;
    }
    if (piece.batch_size == 0) continue;
    const double share = whole ? 1.0
                               : static_cast<double>(piece.tgt_tokens) /
                                     static_cast<double>(std::max<int64_t>(total, 1));
    model::LossStats st = model_->forward_backward(ctx, to_tensors(piece), opt_.label_smoothing,
                                                   static_cast<float>(share));
    ops::accumulate_f64(sum_ce, st.sums.narrow(0, model::LossStats::kAuxLoss));
    ops::accumulate_f64(sum_aux, st.sums.narrow(model::LossStats::kAuxLoss, 1), share);
  }
  if (ranks == 1) return {sum, false};
  // Without expert parallelism every gradient is replicated, so the whole flat buffer (dense
  // range first, then experts) is summed; with it, each expert's only over its replicas.
  // In buckets of --bucket-cap-mb, last parameters first.
  const ParamStore& ps = model_->params();
  const auto cap = static_cast<int64_t>(opt_.bucket_cap_mb * 1024 * 1024);
  if (overlap_)
    overlap_->finish(*comm_, grads, context);
  else if (shard_)
    shard_->reduce_gradients(grads, gradient_buckets(ps, 0, ps.dense_numel(), cap), context);
  else
    all_reduce_buckets(*comm_, grads, gradient_buckets(ps, 0, ps.numel(), cap), context);
  // The statistics of the global batch, still on the device; then whether a signal reached
  // any rank.
  comm_->all_reduce_sum(sum.sums, context);
  const bool interrupt = interrupt_requested(context);
  return {sum, interrupt};
}

bool Trainer::interrupt_requested(const std::string& context) {
  double v[2] = {InterruptGuard::pending() != 0 ? 1.0 : 0.0,
                 static_cast<double>(InterruptGuard::pending())};
  if (comm_->size() > 1) comm_->all_reduce_sum(v, 2, context);
  if (v[0] > 0 && interrupted_by_ == 0)
    // Another rank's signal: mpirun forwards the same one to every rank.
    interrupted_by_ = InterruptGuard::pending() ? InterruptGuard::pending()
                                                : static_cast<int>(v[1] / v[0]);
  return v[0] > 0;
}

double Trainer::validate(TrainResult& result) {
  AverageScope average(*this);  // Marian validates the smoothed weights
  // With expert parallelism, rank 0's gathered copy (which holds the average already).
  model::Model& model = gathered_ ? *gathered_->model : *model_;
  nn::Ctx ctx;
  ctx.device = opt_.device;
  ctx.training = false;
  // Cross-entropy over the whole validation set, in length-sorted batches.
  data::BatchOptions bo;
  bo.shuffle = false;
  bo.max_length = 0;
  bo.mini_batch_words = opt_.batching.mini_batch_words;
  data::BatchGenerator vgen(valid_->samples, bo);
  data::Batch b;
  model::LossStats total = model::LossStats::zeros(ctx.device);
  while (vgen.next(b)) ops::accumulate_f64(total.sums, model.evaluate(ctx, to_tensors(b)).sums);
  const model::HostLossStats sums = total.read_to_host();  // one read, after the whole set
  const double nll = sums.nll_sum;
  const int64_t tokens = sums.tokens;
  double ce = nll / std::max<int64_t>(tokens, 1);

  // Greedy translations when a metric needs them, and a few to show.
  bool need_hyps = std::any_of(opt_.valid_metrics.begin(), opt_.valid_metrics.end(),
                               [](ValidMetric m) { return m == ValidMetric::bleu || m == ValidMetric::chrf; });
  int64_t n_hyp = need_hyps ? std::min<int64_t>(opt_.valid_max_sentences, valid_->examples.size())
                            : std::min<int64_t>(opt_.valid_translations, valid_->examples.size());
  decode::TranslatorOptions to;
  to.search.beam_size = 1;
  to.search.max_length = opt_.model.max_length;
  decode::Translator tr(model, vocab_, to);
  std::vector<decode::TranslationInput> in;
  for (int64_t i = 0; i < n_hyp; ++i) {
    const auto& e = valid_->examples[i];
    in.push_back({e.src, lang_index(e.src_lang), lang_index(e.tgt_lang)});
  }
  auto outs = tr.translate(in);
  std::vector<std::string> hyps, refs;
  for (int64_t i = 0; i < n_hyp; ++i) {
    hyps.push_back(outs[i].texts[0]);
    refs.push_back(valid_->examples[i].tgt);
  }
  nlohmann::json rec = {{"type", "valid"}, {"update", updates_}, {"epoch", epochs_done_ + 1}};
  double first = 0;
  for (size_t m = 0; m < opt_.valid_metrics.size(); ++m) {
    ValidMetric vm = opt_.valid_metrics[m];
    double v = 0;
    switch (vm) {
      case ValidMetric::ce_mean_words: v = ce; break;
      case ValidMetric::perplexity: v = std::exp(ce); break;
      case ValidMetric::bleu: v = eval::corpus_bleu(hyps, {refs}).score; break;
      case ValidMetric::chrf: v = eval::corpus_chrf(hyps, {refs}).score; break;
    }
    bool better = std::isnan(best_[m]) || (higher_is_better(vm) ? v > best_[m] : v < best_[m]);
    if (m == 0) {
      first = v;
      if (better) stalls_ = 0;
      else ++stalls_;
    }
    if (better) best_[m] = v;
    log::info("[valid] Ep. {} : Up. {} : {} : {:.4f} : {}", epochs_done_ + 1, updates_,
              valid_metric_name(vm), v,
              better ? "new best" : fmt::format("stalled {} times", m == 0 ? stalls_ : 0));
    rec[valid_metric_name(vm)] = v;
    if ((m == 0 || opt_.keep_best) && better && !opt_.model_dir.empty()) save(best_dir(m));
  }
  rec["stalls"] = stalls_;
  log::json(rec);
  for (int64_t i = 0; i < std::min<int64_t>(opt_.valid_translations, n_hyp); ++i)
    log::info("[valid] {} ||| {} ||| {}", valid_->examples[i].src, hyps[i], refs[i]);
  result.valid_scores.push_back(first);
  return first;
}

TrainResult Trainer::run() {
  TrainResult result;
  InterruptGuard interrupt;
  const bool tty = lead_ && ::isatty(STDERR_FILENO);
  const int ranks = comm_->size();
  nn::Ctx ctx;
  ctx.device = opt_.device;
  ctx.seed = rank_seed(opt_.seed, comm_->rank());
  ctx.routing_stats = &routing_;
  const int delay = opt_.optimizer_delay;
  std::vector<data::Batch> micro(static_cast<size_t>(delay));
  // The clock is read here and once per update (TrainOptions::clock): time limits count this
  // run's wall-clock time, validation and saving included.
  const Clock::time_point t_start = now();
  double seconds_run = 0;
  auto t_disp = t_start;
  double disp_loss = 0, disp_aux = 0, disp_gnorm = 0;
  int64_t disp_tokens = 0, disp_src = 0, disp_updates = 0, disp_sent = 0, disp_tgt_host = 0;
  // The updates' loss statistics wait in a device buffer until a display, validation or save
  // reads them (in update order, so the sums are the same as one read per step would give).
  LossHistory history(ctx.device);
  auto read_losses = [&] {
    for (const model::HostLossStats& st : history.read_to_host()) {
      result.update_losses.push_back(st.loss_sum / std::max<int64_t>(st.tokens, 1));
      disp_loss += st.loss_sum;
      disp_aux += st.aux_loss;
      disp_tokens += st.tokens;
    }
  };
  auto due = [&](const Amount& a, int64_t last_epoch_end) {
    if (!a.enabled()) return false;
    switch (a.unit) {
      case Amount::updates: return updates_ % a.value == 0;
      case Amount::epochs: return last_epoch_end > 0 && last_epoch_end % a.value == 0;
      case Amount::tokens: return false;  // handled by the display interval only
      case Amount::seconds:
        return false;  // --after only
    }
    return false;
  };
  auto budget_spent = [&] {
    return opt_.after.reached(updates_, epochs_done_, tgt_tokens_seen_, seconds_run);
  };
  bool stop = budget_spent();
  while (!stop) {
    // The mini-batches of one update (--optimizer-delay). An epoch's end cuts the update short,
    // so epochs end, validate and stop exactly where they would without a delay.
    int n = 0;
    bool epoch_end = false;
    for (; n < delay; ++n)
      if (!gen_->next(micro[n])) {
        epoch_end = true;
        break;
      }
    // Counted at once: a save during this update pairs the new epoch's data position with it.
    if (epoch_end) ++epochs_done_;
    if (n > 0) {
      ++updates_;
      const std::string step_context = fmt::format("update {}", updates_);
      ctx.begin_step(static_cast<uint64_t>(updates_));
      ctx.training = true;
      auto [st, interrupt] = compute_gradients(ctx, {micro.begin(), micro.begin() + n}, step_context);
      double gnorm = adam_->step(opt_.lr.lr_at(updates_));
      if (!std::isfinite(gnorm) && lead_)
        log::warn("update {}: non-finite gradient norm, update skipped", updates_);
      if (average_.defined())
        ops::ema_update(average_, model_->params().values(),
                        ops::math::ema_decay(opt_.exponential_smoothing, updates_));
      nn::refresh_compute_copy(model_->params());  // --precision bfloat16: one cast
      history.push(st);
      for (int i = 0; i < n; ++i) {
        tgt_tokens_seen_ += micro[i].tgt_tokens;
        disp_tgt_host += micro[i].tgt_tokens;
        disp_src += micro[i].src_tokens;
        disp_sent += micro[i].batch_size;
      }
      disp_gnorm += gnorm;
      ++disp_updates;
      const Clock::time_point t_now = now();
      seconds_run = std::chrono::duration<double>(t_now - t_start).count();
      // Ranks' clocks differ: rank 0's decides a time limit for all, or they would part ways.
      if (ranks > 1) comm_->broadcast_bytes(&seconds_run, sizeof seconds_run, 0, step_context);
      if (tty) {
        double secs = std::chrono::duration<double>(t_now - t_disp).count();
        // The batches' host token counts: the loss itself is read at the display interval.
        std::fprintf(stderr, "\r  Up. %lld : %.0f tokens/s   ", static_cast<long long>(updates_),
                     (disp_tgt_host + disp_src) / std::max(secs, 1e-9));
        std::fflush(stderr);
      }
      if (due(opt_.disp_freq, 0)) {
        sync_routing(step_context);
        read_losses();
      }
      if (due(opt_.disp_freq, 0) && !lead_) {
        disp_loss = disp_aux = disp_gnorm = 0;
        disp_tokens = disp_src = disp_updates = disp_sent = disp_tgt_host = 0;
        t_disp = t_now;
      } else if (due(opt_.disp_freq, 0)) {
        double secs = std::chrono::duration<double>(t_now - t_disp).count();
        if (tty) std::fprintf(stderr, "\r%*s\r", 60, "");
        double tps = (disp_tokens + disp_src) / std::max(secs, 1e-9);
        log::info(
            "Ep. {} : Up. {} : Sen. {} : Cost {:.5f} : Aux {:.5f} : Time {:.2f}s : {:.1f} "
            "tokens/s : gNorm {:.4f} : L.r. {:.4e}",
            epochs_done_ + 1, updates_, disp_sent, disp_loss / std::max<int64_t>(disp_tokens, 1),
            disp_aux / disp_updates, secs, tps, disp_gnorm / disp_updates, opt_.lr.lr_at(updates_));
        nlohmann::json rec = {{"type", "train"},
                              {"update", updates_},
                              {"epoch", epochs_done_ + 1},
                              {"loss", disp_loss / std::max<int64_t>(disp_tokens, 1)},
                              {"aux_loss", disp_aux / disp_updates},
                              {"grad_norm", disp_gnorm / disp_updates},
                              {"lr", opt_.lr.lr_at(updates_)},
                              {"updates", disp_updates},
                              {"sentences", disp_sent},
                              {"src_tokens", disp_src},
                              {"tgt_tokens", disp_tokens},
                              {"seconds", secs},
                              {"tokens_per_s", tps}};
        if (ranks > 1) {
          // What rank 0 sent per update (payload: all-to-all rows to other ranks, all-reduce
          // buffers; compare with scripts/plan) and the time spent in those collectives.
          const dist::Communicator::Traffic t = take_traffic();
          rec["all_to_all_bytes_per_update"] = t.all_to_all_bytes / disp_updates;
          rec["all_to_all_inter_node_bytes_per_update"] =
              t.all_to_all_inter_node_bytes / disp_updates;
          rec["all_reduce_bytes_per_update"] = t.all_reduce_bytes / disp_updates;
          rec["all_to_all_s_per_update"] = t.all_to_all_s / disp_updates;
          rec["all_reduce_s_per_update"] = t.all_reduce_s / disp_updates;
        }
        if (!routing_.empty()) {
          rec["routing"] = routing_.to_json(languages_);
          log::info("routing: {}", routing_.summary());
          routing_total_.merge(routing_);
          routing_.reset();
        }
        log::json(rec);
        disp_loss = disp_aux = disp_gnorm = 0;
        disp_tokens = disp_src = disp_updates = disp_sent = disp_tgt_host = 0;
        t_disp = t_now;
      }
      if (valid_ && opt_.valid_freq.unit == Amount::updates && due(opt_.valid_freq, 0)) {
        read_losses();
        validate_synced(result);
        if (opt_.early_stopping > 0 && stalls_ >= opt_.early_stopping) {
          if (lead_) log::info("early stopping: no improvement in {} validations", stalls_);
          result.early_stopped = true;
          stop = true;
        }
      }
      if (opt_.save_freq.unit == Amount::updates && due(opt_.save_freq, 0)) {
        read_losses();
        save_synced(step_context);
      }
      if (budget_spent()) stop = true;
      // One process reads the signal flag now; several agreed on it in the step's reduction.
      if (ranks == 1 ? InterruptGuard::pending() != 0 : interrupt) stop = true;
    }
    if (epoch_end) {
      // Every rank runs the same generator, so all see the same epoch ends.
      const std::string context = fmt::format("end of epoch {}", epochs_done_);
      if (lead_) log::info("epoch {} finished after {} updates", epochs_done_, updates_);
      if (due(opt_.valid_freq, epochs_done_) && valid_ && opt_.valid_freq.unit == Amount::epochs) {
        read_losses();
        validate_synced(result);
      }
      if (opt_.save_freq.unit == Amount::epochs && due(opt_.save_freq, epochs_done_)) {
        read_losses();
        save_synced(context);
      }
      bool interrupted = interrupt_requested(context);
      stop = stop || budget_spent() || interrupted;
    }
  }
  if (tty) std::fprintf(stderr, "\r%*s\r", 60, "");
  read_losses();  // the last updates' losses, for TrainResult
  result.interrupted_by = ranks == 1 ? InterruptGuard::pending() : interrupted_by_;
  // The last weights are validated (and saved) whatever limit ended training, a time limit
  // included, unless this update was just validated.
  if (valid_ && last_valid_update_ != updates_ && !result.interrupted_by) validate_synced(result);
  save_synced("end of training");
  if (lead_ && result.interrupted_by)
    log::info("interrupted by {}: checkpoint saved to {} at update {}; continue with --resume",
              result.interrupted_by == SIGINT ? "SIGINT" : "SIGTERM", opt_.model_dir, updates_);
  else if (lead_)
    log::info("training finished after {} updates; model saved to {}", updates_, opt_.model_dir);
  result.updates = updates_;
  result.epochs = epochs_done_;
  return result;
}

}  // namespace moemt::train
