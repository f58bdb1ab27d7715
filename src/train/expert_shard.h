// ExpertShard: the bookkeeping of expert-parallel training (--expert-parallel N). The ranks,
// ordered by (node, rank), form expert groups of N consecutive ranks; inside a group, rank j
// runs block j of every MoE layer's experts (moe/expert_placement.h: with hierarchical routing
// each routing group's experts stay on one node). Every rank keeps the whole flat buffer (values, gradients, Adam moments) but trains
// only its own experts there; the other experts' slices are stale until sync() fills them in
// (before validation, replica checks and checkpoints, which therefore hold every expert).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dist/communicator.h"
#include "model/model.h"

namespace moemt::train {

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

  // [begin, end) ranges of the flat buffer: this rank's experts, and every other expert.
  const std::vector<std::pair<int64_t, int64_t>>& local_ranges() const { return local_; }
  dist::Communicator& expert_group() { return *group_; }
  dist::Communicator& replica_group() { return *replicas_; }
  // How many nodes this rank's expert group spans (1: its all-to-alls stay inside a node).
  int group_nodes() const { return group_nodes_; }

  // After every rank's backward: the dense gradient range summed over all ranks (in the given
  // buckets, train/grad_buckets.h), this rank's expert ranges over its replicas (the other
  // experts' gradients are not used here).
  void reduce_gradients(Tensor grads, const std::vector<std::pair<int64_t, int64_t>>& dense_buckets,
                        const std::string& context);
  // Makes every expert current in `buffer` (a flat buffer of the store's layout: values, Adam
  // moments, the parameter average) on every rank: each rank contributes its own experts.
  void sync(Tensor buffer, const std::string& context);

  // Bytes sent by this rank through its three communicators since the last call.
  dist::Communicator::Traffic take_traffic();

 private:
  dist::Communicator& world_;
  std::unique_ptr<dist::Communicator> group_, replicas_;
  std::vector<std::pair<int64_t, int64_t>> local_, others_;
  std::vector<moe::MoeLayer*> layers_;
  int group_nodes_ = 1;
};

// Merges the [begin, end) ranges of the given parameters into sorted, disjoint ranges.
std::vector<std::pair<int64_t, int64_t>> merged_ranges(const ParamStore& ps,
                                                       const std::vector<int>& ids);

}  // namespace moemt::train
