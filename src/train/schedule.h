// Learning-rate schedule: linear warm-up then inverse-square-root decay (Vaswani et al.;
// Marian's --lr-warmup with --lr-decay-inv-sqrt), in updates.
#pragma once

#include <cstdint>
#include <vector>

namespace moemt::train {

// A Marian-style amount of training: updates ("500u"), epochs ("5e"), target tokens ("10Mt"),
// or wall-clock seconds ("90s", "30m", "2h"; only --after takes those).
struct Amount {
  enum Unit : uint8_t { updates, epochs, tokens, seconds } unit = updates;
  int64_t value = 0;  // 0 = disabled
  bool enabled() const { return value > 0; }
  // True when progress (updates done, epochs finished, target tokens seen, seconds of training
  // in this run) reaches it.
  bool reached(int64_t updates_done, int64_t epochs_done, int64_t tokens_seen,
               double seconds_run = 0) const {
    if (!enabled()) return false;
    if (unit == seconds) return seconds_run >= static_cast<double>(value);
    int64_t have = unit == updates ? updates_done : unit == epochs ? epochs_done : tokens_seen;
    return have >= value;
  }
};

// --after: several limits ("10000u,30m"); training stops at whichever is reached first.
struct Budget {
  std::vector<Amount> limits;  // enabled ones only; empty = train until stopped otherwise
  Budget() = default;
  Budget(Amount a) {  // NOLINT: implicit, one limit reads as the limit itself
    if (a.enabled()) limits.push_back(a);
  }
  Budget(Amount::Unit unit, int64_t value) : Budget(Amount{unit, value}) {}
  bool reached(int64_t updates_done, int64_t epochs_done, int64_t tokens_seen,
               double seconds_run) const {
    for (const Amount& a : limits)
      if (a.reached(updates_done, epochs_done, tokens_seen, seconds_run)) return true;
    return false;
  }
  bool has(Amount::Unit unit) const {
    for (const Amount& a : limits)
      if (a.unit == unit) return true;
    return false;
  }
};

struct LrSchedule {
  float base_lr = 3e-4f;
  int64_t warmup = 4000;       // updates of linear warm-up; 0 = none
  int64_t decay_inv_sqrt = 0;  // start of 1/sqrt decay; 0 = at the end of warm-up
  float lr_at(int64_t step) const;  // step counts from 1
};

}  // namespace moemt::train
