// Sinusoidal positional encodings, one table entry at a time, shared by the CPU op
// (ops/positional_cpu.cc) and a CUDA kernel. Computed in double and rounded once to f32.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/host_device.h"

namespace moemt::ops::math {

// The log-frequency step for half = D/2 sin (and cos) columns: w_i = exp(-i * step).
MOEMT_HOST_DEVICE inline double positional_log_step(int64_t half) {
  return half > 1 ? log(10000.0) / static_cast<double>(half - 1) : 0.0;
}

// PE[pos, col] for a table of `dim` columns: sin(pos w_col) for col < half, cos(pos w_(col -
// half)) for col < 2 half, and 0 in the last column of an odd dim.
MOEMT_HOST_DEVICE inline float positional_value(int64_t pos, int64_t col, int64_t dim,
                                                double log_step) {
  const int64_t half = dim / 2;
  if (col >= 2 * half) return 0.f;
  const int64_t i = col < half ? col : col - half;
  const double a = static_cast<double>(pos) * exp(-log_step * static_cast<double>(i));
  return static_cast<float>(col < half ? sin(a) : cos(a));
}

}  // namespace moemt::ops::math
