// Dropout's keep decision from one Philox word, shared by the CPU loop (ops/dropout_cpu.cc)
// and a CUDA kernel: element i is kept iff philox_uniform(word i) >= p.
#pragma once

#include <stdint.h>

#include "core/host_device.h"

namespace moemt::ops::math {

// Keep iff (word >> 8) * 2^-24 >= p, i.e. (word >> 8) >= ceil(p * 2^24), in integers.
MOEMT_HOST_DEVICE inline uint32_t dropout_threshold(float p) {
  const double thr_d = static_cast<double>(p) * 16777216.0;
  uint32_t thr = static_cast<uint32_t>(thr_d);
  if (static_cast<double>(thr) < thr_d) ++thr;
  return thr;
}

// The multiplier of an element: keep_scale = 1 / (1 - p) if kept, else 0.
MOEMT_HOST_DEVICE inline float dropout_multiplier(uint32_t word, uint32_t threshold,
                                                  float keep_scale) {
  return (word >> 8) >= threshold ? keep_scale : 0.f;
}

}  // namespace moemt::ops::math
