// Adam(W) over the flat parameter buffer, with global-norm gradient clipping. The moments are
// two more flat buffers of the same layout, so saving and sharding them is one slice each.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/param_store.h"
#include "dist/communicator.h"

namespace moemt::train {

struct AdamOptions {
  float beta1 = 0.9f;
  float beta2 = 0.98f;  // Marian's and fairseq's transformer default
  float eps = 1e-9f;
  float weight_decay = 0.f;  // decoupled (AdamW); 0 = plain Adam
  float clip_norm = 1.f;     // global gradient norm limit; 0 = no clipping
};

class Adam {
 public:
  Adam(ParamStore& store, AdamOptions opts);
  // One update with learning rate `lr` from the gradients in the store. Returns the global
  // gradient norm before clipping; a non-finite norm skips the update (the caller logs it).
  double step(float lr);
  int64_t steps() const { return t_; }
  Tensor& m() { return m_; }
  Tensor& v() { return v_; }
  void set_steps(int64_t t) { t_ = t; }

  // Expert parallelism: this rank updates only [0, dense_end) and `local` (its experts'
  // ranges of the flat buffer); the clipping norm adds the squared norms of the other ranks'
  // experts, summed over `group` (the ranks that share the experts). Every rank of the group
  // calls step() together.
  void set_shard(int64_t dense_end, std::vector<std::pair<int64_t, int64_t>> local,
                 dist::Communicator* group);

 private:
  ParamStore& store_;
  AdamOptions opts_;
  Tensor m_, v_;
  Tensor norm_sq_;  // (1) f64 on the store's device: ops::global_norm_sq's result
  int64_t t_ = 0;
  // set_shard(): the [begin, end) ranges updated here (dense first) and the expert group.
  std::vector<std::pair<int64_t, int64_t>> ranges_;
  dist::Communicator* group_ = nullptr;
};

}  // namespace moemt::train
