// ExpertShard: the bookkeeping of expert-parallel training (--expert-parallel N). The ranks,
// ordered by (node, rank), form expert groups of N consecutive ranks; inside a group, rank j
// runs block j of every MoE layer's experts (moe/expert_placement.h: with hierarchical routing
// each routing group's experts stay on one node). Each rank holds (values, gradients, Adam
// moments, average) the dense parameters and its own experts only (release_remote_experts);
// gather() assembles every expert on rank 0 for validation and checkpoints.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dist/communicator.h"
#include "model/model.h"
#include "train/optimizer.h"

namespace moemt::train {

// The whole model on one rank (ExpertShard::gather_model).
struct GatheredModel {
  std::unique_ptr<model::Model> model;
  Tensor values, raw;
  std::unique_ptr<Adam> adam;
};

class ExpertShard {
 public:
  // Splits `world` into expert groups of `n` ranks and replica groups (the ranks holding the
  // same experts), and gives the model's MoE layers their expert group. Throws Error when n
  // does not divide the rank count or a layer's expert count, the model has no MoE layer, or a
  // routing group cannot sit on one node. node_of_rank: the node of each world rank (tests);
  // empty: by host name.
  ExpertShard(dist::Communicator& world, int n, model::Model& model,
              std::vector<int> node_of_rank = {});
  ~ExpertShard();

  // Before the store is finalized: the other ranks' experts get no storage on this rank.
  void release_remote_experts();
  // [begin, end) ranges of the flat buffer holding this rank's experts (after finalize).
  const std::vector<std::pair<int64_t, int64_t>>& local_ranges();
  dist::Communicator& expert_group() { return *group_; }
  dist::Communicator& replica_group() { return *replicas_; }
  // How many nodes this rank's expert group spans (1: its all-to-alls stay inside a node).
  int group_nodes() const { return group_nodes_; }

  // After every rank's backward: the dense gradient range summed over all ranks (in the given
  // buckets, train/grad_buckets.h), this rank's expert ranges over its replicas.
  void reduce_gradients(Tensor grads, const std::vector<std::pair<int64_t, int64_t>>& dense_buckets,
                        const std::string& context);
  // Assembles on world rank 0 the full-layout buffer (ParamStore::full_numel) of a flat buffer
  // of the store's layout (values, Adam moments, the raw weights): its dense range, and each
  // MoE layer's experts from the ranks of rank 0's expert group (one gather per layer). Every
  // rank calls it; `full` is the output on rank 0 and ignored elsewhere.
  void gather(const Tensor& local, Tensor full, const std::string& context);

  // Rank 0's copy of the whole model for validation and checkpoints: every rank calls it; rank
  // 0 gets the model (parameters as views of `values`, every expert gathered), an optimizer
  // with the gathered moments and step count, and the gathered raw weights when `raw` is given
  // (exponential smoothing); the other ranks get null.
  std::unique_ptr<GatheredModel> gather_model(const model::ModelConfig& config, Adam& adam,
                                              const Tensor* raw, const std::string& context);

  // Bytes sent by this rank through its three communicators since the last call.
  dist::Communicator::Traffic take_traffic();

 private:
  dist::Communicator& world_;
  std::unique_ptr<dist::Communicator> group_, replicas_;
  ParamStore& store_;
  std::vector<moe::MoeLayer*> layers_;
  // Per MoE layer, the parameter ids of this rank's experts and of all its experts.
  std::vector<std::vector<int>> mine_, all_;
  std::vector<std::pair<int64_t, int64_t>> local_;  // filled by local_ranges()
  bool lead_group_ = false;  // world rank 0's expert group: gather() runs there
  int lead_ = 0;             // world rank 0's rank in that group
  int group_nodes_ = 1;
};

// Merges the [begin, end) ranges of the given parameters into sorted, disjoint ranges.
std::vector<std::pair<int64_t, int64_t>> merged_ranges(const ParamStore& ps,
                                                       const std::vector<int>& ids);

}  // namespace moemt::train
