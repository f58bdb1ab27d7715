// Learning-rate schedule: linear warm-up then inverse-square-root decay (Vaswani et al.;
// Marian's --lr-warmup with --lr-decay-inv-sqrt), in updates.
#pragma once

#include <cstdint>

namespace moemt::train {

struct LrSchedule {
  float base_lr = 3e-4f;
  int64_t warmup = 4000;       // updates of linear warm-up; 0 = none
  int64_t decay_inv_sqrt = 0;  // start of 1/sqrt decay; 0 = at the end of warm-up
  float lr_at(int64_t step) const;  // step counts from 1
};

}  // namespace moemt::train
