// Raw-pointer launcher of the f64 statistics accumulation (ops/accumulate.h).
#pragma once

#include <cstdint>

namespace moemt::kernels {

// acc[i] += scale * x[i]; x is f32 (x_f32) or f64 (x_f64), the other null.
void launch_accumulate_f64(double* acc, const float* x_f32, const double* x_f64, int64_t n,
                           double scale, int device, void* stream);

}  // namespace moemt::kernels
