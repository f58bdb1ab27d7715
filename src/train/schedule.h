// Learning-rate schedule: linear warm-up then inverse-square-root decay (Vaswani et al.;
// Marian's --lr-warmup with --lr-decay-inv-sqrt), in updates.
#pragma once

#include <cstdint>

namespace moemt::train {

// A Marian-style amount of training: updates ("500u"), epochs ("5e") or target tokens ("10Mt").
struct Amount {
  enum Unit : uint8_t { updates, epochs, tokens } unit = updates;
  int64_t value = 0;  // 0 = disabled
  bool enabled() const { return value > 0; }
  // True when progress (updates done, epochs finished, target tokens seen) reaches it.
  bool reached(int64_t updates_done, int64_t epochs_done, int64_t tokens_seen) const {
    if (!enabled()) return false;
    int64_t have = unit == updates ? updates_done : unit == epochs ? epochs_done : tokens_seen;
    return have >= value;
  }
};

struct LrSchedule {
  float base_lr = 3e-4f;
  int64_t warmup = 4000;       // updates of linear warm-up; 0 = none
  int64_t decay_inv_sqrt = 0;  // start of 1/sqrt decay; 0 = at the end of warm-up
  float lr_at(int64_t step) const;  // step counts from 1
};

}  // namespace moemt::train
