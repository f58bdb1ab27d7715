// Accumulation of statistics in double on the device: per-step loss sums are added into the
// trainer's buffers without a host read, and read once per display interval.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// acc[i] += scale * double(x[i]); acc f64, x f32 or f64, same numel and device.
void accumulate_f64(Tensor& acc, const Tensor& x, double scale = 1.0);

namespace cpu {
void accumulate_f64(Tensor& acc, const Tensor& x, double scale);
}
namespace cuda {
void accumulate_f64(Tensor& acc, const Tensor& x, double scale);
}

}  // namespace moemt::ops
