// Adam(W) over the flat parameter buffer, with global-norm gradient clipping. The moments are
// two more flat buffers of the same layout, so saving and sharding them is one slice each.
#pragma once

#include <cstdint>

#include "core/param_store.h"

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

 private:
  ParamStore& store_;
  AdamOptions opts_;
  Tensor m_, v_;
  Tensor norm_sq_;  // (1) f64 on the store's device: ops::global_norm_sq's result
  int64_t t_ = 0;
};

}  // namespace moemt::train
