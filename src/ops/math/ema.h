// Exponential moving average of the parameters (Marian's --exponential-smoothing): the step's
// decay on the host, the per-element update shared by the CPU loop and a CUDA kernel.
#pragma once

#include <stdint.h>

#include "core/host_device.h"

namespace moemt::ops::math {

// Host only: the decay of update `step` (1-based) for smoothing factor `factor`, as Marian's
// GraphGroup::updateAvgParams: max(factor, 1 - (step + 1) / (step + 10)). The second term keeps
// the average close to the weights in the first updates, where the initial weights are noise.
inline float ema_decay(float factor, int64_t step) {
  const float early = 1.f - static_cast<float>(step + 1) / static_cast<float>(step + 10);
  return factor > early ? factor : early;
}

// avg <- (1 - decay) avg + decay w, Marian's form of the update (so results match its).
MOEMT_HOST_DEVICE inline void ema_update(float& avg, float w, float decay) {
  avg = (1.f - decay) * avg + decay * w;
}

}  // namespace moemt::ops::math
