// Raw-pointer launcher of the row log-softmax (ops/log_softmax.h): y = x - logsumexp(x) per row.
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_log_softmax(const float* x, float* y, int64_t rows, int64_t cols, int device,
                        void* stream);

}  // namespace moemt::kernels
