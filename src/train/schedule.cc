// Warm-up + inverse-square-root decay.
#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace moemt::train {

float LrSchedule::lr_at(int64_t step) const {
  step = std::max<int64_t>(step, 1);
  float lr = base_lr;
  if (warmup > 0 && step < warmup) lr *= static_cast<float>(step) / static_cast<float>(warmup);
  int64_t d = decay_inv_sqrt > 0 ? decay_inv_sqrt : warmup;
  if (d > 0 && step > d) lr *= std::sqrt(static_cast<float>(d) / static_cast<float>(step));
  return lr;
}

}  // namespace moemt::train
