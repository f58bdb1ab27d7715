// Raw-pointer launcher of the Adam(W) step (ops/adam.h): the step's constants come from the
// host (ops/math/adam.h), so the CPU and CUDA updates agree to the bit up to FMA contraction.
#pragma once

#include <cstdint>

#include "ops/math/adam.h"

namespace moemt::kernels {

void launch_adam_step(float* w, const float* g, float* m, float* v, int64_t n,
                      ops::math::AdamCoeffs c, int device, void* stream);

}  // namespace moemt::kernels
