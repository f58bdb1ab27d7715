// Trainer: the training loop, top to bottom — next batch, forward, loss, backward, clip,
// Adam step, schedule, log, validate, checkpoint — with exact resume from a checkpoint.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/vocab.h"
#include "model/model.h"
#include "moe/routing_stats.h"
#include "train/optimizer.h"
#include "train/options.h"

namespace moemt::train {

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

// Forward and backward over the micro-batches of one update (--optimizer-delay): the summed
// gradients equal those of one batch holding all their sentences, up to round-off, because each
// micro-batch's mean-over-tokens loss is weighted by its share of the target tokens. The MoE
// balancing losses get the same weights (a token-weighted mean of the micro-batches' losses;
// a batch-level loss such as Switch's f*P product is not linear in the batch, so there the
// large batch would differ slightly). Returns the summed statistics, aux_loss token-weighted.
model::LossStats forward_backward_accumulated(model::Model& model, nn::Ctx& ctx,
                                              const std::vector<model::BatchTensors>& micro,
                                              float label_smoothing);

class Trainer {
 public:
  // Loads data, builds or trains the vocabulary, builds the model (or restores it with
  // options.resume). `train_yaml` is stored in checkpoints for reference.
  Trainer(TrainOptions options, std::string train_yaml = "");
  ~Trainer();
  TrainResult run();

  model::Model& model() { return *model_; }
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
  int32_t lang_index(std::string_view code) const;

  TrainOptions opt_;
  std::string train_yaml_;
  std::vector<std::string> languages_;  // canonical FLORES codes, id order
  std::vector<std::string> groups_;
  data::Vocab vocab_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<Adam> adam_;
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
  nlohmann::json resumed_state_;
};

}  // namespace moemt::train
