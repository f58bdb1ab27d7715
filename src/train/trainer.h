// Trainer: the training loop, top to bottom — next batch, forward, loss, backward, all-reduce,
// clip, Adam step, schedule, log, validate, checkpoint — with exact resume from a checkpoint.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/vocab.h"
#include "dist/communicator.h"
#include "model/model.h"
#include "moe/routing_stats.h"
#include "train/grad_buckets.h"
#include "train/optimizer.h"
#include "train/options.h"

namespace moemt::train {

class ExpertShard;
struct GatheredModel;

struct TrainResult {
  int64_t updates = 0;
  int64_t epochs = 0;                 // completed epochs
  std::vector<double> update_losses;  // per-token training loss of every update run here
  std::vector<double> valid_scores;   // first valid metric at each validation
  bool early_stopped = false;
  int interrupted_by = 0;             // SIGINT/SIGTERM that stopped training after a save, or 0
};

// A batch as the model's tensors, on `device`.
model::BatchTensors batch_tensors(const data::Batch& b, Device device);

class Trainer {
 public:
  // Loads data, builds or trains the vocabulary, builds the model (or restores it with
  // options.resume). `train_yaml` is stored in checkpoints for reference.
  // Data parallelism: every rank of `comm` (null = one process) builds a Trainer with the same
  // options; each runs the same batch generator and trains on its shard of every global batch,
  // gradients and loss statistics are summed over the ranks, and rank 0 alone logs, validates
  // and writes checkpoints. Its timeout is set to options.comm_timeout.
  Trainer(TrainOptions options, std::string train_yaml = "", dist::Communicator* comm = nullptr);
  ~Trainer();
  TrainResult run();

  // One update's gradients for a global batch: forward/backward on this rank's shard, then the
  // sum over the ranks, left in model().params().grads(); returns the whole batch's statistics
  // (on the device: run() reads them once per display interval) and whether a signal reached
  // any rank (several ranks only). Every rank calls it.
  struct StepStats {
    model::LossStats loss;
    bool interrupt = false;
  };
  StepStats compute_gradients(nn::Ctx& ctx, const data::Batch& batch, const std::string& context);
  // The mini-batches of one update (--optimizer-delay), each sharded over the ranks.
  StepStats compute_gradients(nn::Ctx& ctx, const std::vector<data::Batch>& micro,
                              const std::string& context);

  model::Model& model() { return *model_; }
  data::BatchGenerator& batches() { return *gen_; }
  dist::Communicator& communicator() { return *comm_; }
  ExpertShard* expert_shard() { return shard_.get(); }  // null without --expert-parallel
  // The gradient sums started while backward ran (--overlap-grad-reduce); null when off, with
  // one rank, with --expert-parallel, or for a model without backward units.
  const OverlappedGradSum* overlapped_grad_sum() const { return overlap_.get(); }
  const data::Vocab& vocab() const { return vocab_; }

 private:
  struct ValidSet;
  class AverageScope;
  void load_data();
  void build_model();
  void fill_model_config(int64_t vocab_size);  // languages, groups, vocab size; validates
  double validate(TrainResult& result);
  void save(const std::string& dir);
  // A save at --save-freq or at the end: the model folder, and MODEL.iter<update> with
  // --keep-checkpoints (older ones beyond N removed).
  void save_periodic();
  void prune_iterations();
  std::string base_path() const;                  // --model without trailing '/'
  std::string best_dir(size_t metric = 0) const;  // MODEL.best-<valid metric>
  std::chrono::steady_clock::time_point now() const;
  nlohmann::json state_json() const;
  model::BatchTensors to_tensors(const data::Batch& b) const;
  // Data-parallel bookkeeping; each is a collective (every rank calls it at the same point).
  void sync_routing(const std::string& context);  // rank 0 gets every rank's routing_
  void check_replicas(const std::string& context);  // parameters (and moments) agree
  void save_synced(const std::string& context);  // rank 0 makes the periodic save
  double validate_synced(TrainResult& result);  // rank 0 validates, the others get the result
  bool interrupt_requested(const std::string& context);  // a signal reached any rank
  // Expert parallelism: rank 0 gets a copy of the whole model with every expert (gathered_),
  // for validation and saves; release it after. A collective; nothing without it.
  void gather_experts(const std::string& context);
  // Bytes of each rank's parameter buffers (values, gradients, moments, average), logged by
  // rank 0. A collective.
  void log_memory();
  // Payload bytes this rank sent since the last call (all-to-all, all-reduce), its
  // communicators together.
  dist::Communicator::Traffic take_traffic();
  int32_t lang_index(std::string_view code) const;

  TrainOptions opt_;
  std::string train_yaml_;
  std::unique_ptr<dist::Communicator> own_comm_;  // the local one when none was given
  dist::Communicator* comm_ = nullptr;
  bool lead_ = true;  // rank 0: logs, validates, writes checkpoints
  std::vector<std::string> languages_;  // canonical FLORES codes, id order
  std::vector<std::string> groups_;
  data::Vocab vocab_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<Adam> adam_;
  std::unique_ptr<ExpertShard> shard_;  // --expert-parallel > 1
  std::unique_ptr<OverlappedGradSum> overlap_;  // --overlap-grad-reduce with several ranks
  std::unique_ptr<GatheredModel> gathered_;  // rank 0, during validation and saves
  dist::Communicator::Traffic traffic_;  // since the last display, expert syncs excluded
  // --exponential-smoothing: the moving average of the parameters (flat, like the store), and
  // the raw weights while the average sits in the model for validation or saving.
  Tensor average_, raw_;
  bool average_in_model_ = false;
  std::unique_ptr<data::BatchGenerator> gen_;
  std::unique_ptr<ValidSet> valid_;
  moe::RoutingStats routing_;  // since the last display
  moe::RoutingStats routing_total_;

  int64_t updates_ = 0, epochs_done_ = 0, tgt_tokens_seen_ = 0;
  std::vector<double> best_;  // per valid metric
  int stalls_ = 0;
  int64_t last_valid_update_ = -1, last_iter_saved_ = -1;
  int interrupted_by_ = 0;  // a signal received by any rank
  nlohmann::json resumed_state_;
};

}  // namespace moemt::train
