// The sinusoidal positional-encoding table, computed on its own device (so a layer never
// builds it on the host and uploads it). Entries follow ops/math/positional.h.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// table is (N, D) f32: table[r, :] = PE[first_pos + r, :].
void sinusoidal_positions(Tensor& table, int64_t first_pos = 0);

namespace cpu {
void sinusoidal_positions(Tensor& table, int64_t first_pos);
}  // namespace cpu
namespace cuda {
void sinusoidal_positions(Tensor& table, int64_t first_pos);
}  // namespace cuda

}  // namespace moemt::ops
