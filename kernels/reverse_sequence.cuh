// Raw-pointer launcher of reverse_sequence (ops/reverse_sequence.h): x, y (b, t, d) f32,
// lengths i32 (b); y[i, s] = x[i, len-1-s] for s < len (len clamped to [0, t]), else 0.
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_reverse_sequence(const float* x, const int32_t* lengths, float* y, int64_t b, int64_t t,
                             int64_t d, int device, void* stream);

}  // namespace moemt::kernels
