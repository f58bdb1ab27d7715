// Raw-pointer launchers of the reductions (ops/reduce.h), f32 in, double accumulation.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// Blocks of partial sums for n elements: `partials` holds reduce_partials(n) doubles.
int64_t reduce_partials(int64_t n);
// *out (device) = sum of x (or of x^2), in double: per-chunk partials, then the partials in
// chunk order (deterministic). Leaves the result on the device; the caller copies it.
void launch_sum(const float* x, int64_t n, bool squares, double* partials, double* out, int device,
                void* stream);
// out[r] = sum_j x[r, j].
void launch_row_sum(const float* x, float* out, int64_t rows, int64_t cols, int device,
                    void* stream);

}  // namespace moemt::kernels
