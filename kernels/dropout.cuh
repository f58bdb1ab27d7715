// Raw-pointer launchers of dropout (ops/dropout.h). The mask of element i comes from word i & 3
// of Philox block i >> 2 of (seed, stream), exactly as the CPU draws it, so masks are
// bit-identical on both devices.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// y = x * multiplier(i); mask (or null) receives the multiplier; p in (0, 1).
void launch_dropout_forward(const float* x, float p, uint64_t seed, uint64_t rng_stream, float* y,
                            float* mask, int64_t n, int device, void* stream);

}  // namespace moemt::kernels
