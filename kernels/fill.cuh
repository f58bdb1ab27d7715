// Raw-pointer launcher of the fill kernel (ops/fill.h): x[i] = value for n f32 elements.
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_fill(float* x, float value, int64_t n, int device, void* stream);

}  // namespace moemt::kernels
