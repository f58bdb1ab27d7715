// Raw-pointer launcher of the parameter moving average (ops/ema.h).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_ema_update(float* avg, const float* w, int64_t n, float decay, int device,
                       void* stream);

}  // namespace moemt::kernels
