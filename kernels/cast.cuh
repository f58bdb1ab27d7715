// Raw-pointer launcher of the cast kernel (no Tensor, no C++20: included by src/ops/cast.cc
// and compiled by nvcc in kernels/cast.cu). Types use the DType enum's values (f32 0, bf16 1,
// f16 2).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_cast(const void* x, int x_type, void* y, int y_type, int64_t n, int device,
                 void* stream);

}  // namespace moemt::kernels
