// One update of an exponential moving average over a flat f32 buffer (the smoothed copy of the
// parameters), on its device. The per-element formula is ops/math/ema.h.
#pragma once

#include "core/tensor.h"
#include "ops/math/ema.h"

namespace moemt::ops {

// avg <- (1 - decay) avg + decay param; both f32 of one numel on one device, decay in [0, 1].
void ema_update(Tensor& avg, const Tensor& param, float decay);

namespace cpu {
void ema_update(Tensor& avg, const Tensor& param, float decay);
}  // namespace cpu
namespace cuda {
void ema_update(Tensor& avg, const Tensor& param, float decay);
}  // namespace cuda

}  // namespace moemt::ops
