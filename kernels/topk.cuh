// Raw-pointer launcher of the row top-k (ops/topk.h): x (n, e), values and indices (n, k).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_topk(const float* x, int64_t n, int64_t e, int k, float* values, int32_t* indices,
                 int device, void* stream);

}  // namespace moemt::kernels
