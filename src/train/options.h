// TrainOptions: everything `moemt train` needs, as typed values (the CLI fills it from flags
// and YAML; nothing below the CLI reads strings).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/range.h"
#include "data/batch.h"
#include "data/parallel.h"
#include "data/vocab.h"
#include "model/config.h"
#include "train/optimizer.h"
#include "train/schedule.h"

namespace moemt::train {

enum class ValidMetric : uint8_t { ce_mean_words, perplexity, bleu, chrf };
ValidMetric valid_metric_from_name(const std::string& name);  // Marian names; throws Error
const char* valid_metric_name(ValidMetric m);
bool higher_is_better(ValidMetric m);

// --expert-parallel: ranks that share the experts of each MoE layer.
inline constexpr Range<int> kExpertParallelRange{1, 4096};
inline constexpr Range<double> kBucketCapMbRange{0.0, 1e6};

struct TrainOptions {
  std::string model_dir;  // --model: checkpoint directory (created, replaced atomically)
  std::vector<data::ParallelSource> train_pairs;
  std::vector<data::TsvSource> train_tsv;
  data::LoadOptions load;
  std::vector<data::ParallelSource> valid_pairs;
  std::vector<data::TsvSource> valid_tsv;

  std::string vocab_path;  // --vocabs: an existing sentencepiece model; empty = train one
  data::VocabTrainOptions vocab;

  model::ModelConfig model;  // languages and vocab_size are filled in from the data
  // Group languages for hierarchical routing by "family" or "branch" of the registry; a recipe
  // may instead give explicit groups (language code -> group name).
  std::string group_level = "branch";
  std::vector<std::pair<std::string, std::string>> language_groups;

  data::BatchOptions batching;
  AdamOptions adam;
  LrSchedule lr;
  float label_smoothing = 0.1f;
  // --optimizer-delay: mini-batches whose gradients are summed (weighted by target tokens) into
  // one update, as one batch this many times larger.
  int optimizer_delay = 1;
  // --exponential-smoothing: factor of the moving average of the parameters (0 = off). The
  // average is what is validated and saved as the model; training continues from the raw
  // weights, kept in the checkpoint.
  float exponential_smoothing = 0.f;

  Budget after;  // --after: stop at the first limit reached (none = never)
  // The clock of the time limits in `after` and of the displayed rates; empty = steady_clock.
  // Tests inject a fake one. Read once when run() starts and once per update.
  std::function<std::chrono::steady_clock::time_point()> clock;
  Amount disp_freq{Amount::updates, 100};
  Amount valid_freq{Amount::updates, 1000};
  Amount save_freq{Amount::updates, 1000};
  std::vector<ValidMetric> valid_metrics{ValidMetric::ce_mean_words};
  int early_stopping = 10;            // stop after this many validations without improvement
  int valid_translations = 3;         // dev sentences printed (greedy) at each validation
  int64_t valid_max_sentences = 500;  // cap for BLEU/chrF decoding during validation
  // --keep-best: a best model per validation metric (MODEL.best-<metric>), not only the first.
  bool keep_best = false;
  // --keep-checkpoints N: at each periodic save also write MODEL.iter<update> and keep the N
  // newest of them (0 = none).
  int keep_checkpoints = 0;

  uint64_t seed = 1;
  int cpu_threads = 0;  // 0 = all cores
  Device device = Device::cpu();
  // --precision: the type the GEMMs read. bf16 = mixed precision: the f32 values stay the
  // master weights (Adam, gradients, checkpoints); the store's bf16 copy is refreshed after
  // every change of the values (nn/precision.h).
  DType precision = DType::f32;
  std::string log_path;  // JSON lines
  // --comm-timeout: seconds a collective of multi-process training may wait for the other
  // ranks before it fails naming the rank, the collective and the update. Waits for rank 0's
  // validation and checkpoints get 10 times as long.
  double comm_timeout = 300;
  // --expert-parallel N: each MoE layer's experts are spread over groups of N consecutive
  // ranks in (node, rank) order (on one node rank r is in group r / N and runs block r % N of
  // the experts; moe/expert_placement.h); the N must divide the rank count and every MoE
  // layer's expert count. 1 = every rank holds every expert.
  int expert_parallel = 1;
  // --bucket-cap-mb (PyTorch DDP's bucket_cap_mb): the replicated gradients are summed over
  // the ranks in buckets of whole parameters of at least this many MB, last parameters first
  // (train/grad_buckets.h); 0 = one all-reduce.
  double bucket_cap_mb = 25;
  // --overlap-grad-reduce (Megatron's flag): start each bucket's sum as soon as backward has
  // finished its gradients (model::Model::backward_units), instead of after backward. Without
  // --expert-parallel only; the sums are the same either way.
  bool overlap_grad_reduce = true;
  bool resume = false;   // continue from model_dir's checkpoint
  bool overwrite = false;
};

}  // namespace moemt::train
