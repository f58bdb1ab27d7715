// Raw-pointer launcher of the squared global norm (ops/global_norm.h): *out (device f64) =
// sum g^2; `partials` holds reduce_partials(n) doubles (kernels/reduce.cuh).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_global_norm_sq(const float* g, int64_t n, double* partials, double* out, int device,
                           void* stream);

}  // namespace moemt::kernels
