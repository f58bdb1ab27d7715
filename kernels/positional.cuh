// Raw-pointer launcher of the sinusoidal positional table (ops/positional.h).
#pragma once

#include <cstdint>

namespace moemt::kernels {

// table (n, dim): table[r, c] = PE[first_pos + r, c].
void launch_sinusoidal_positions(float* table, int64_t n, int64_t dim, int64_t first_pos,
                                 int device, void* stream);

}  // namespace moemt::kernels
