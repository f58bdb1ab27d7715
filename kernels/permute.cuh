// Raw-pointer launchers of the MoE permutation ops (ops/permute.h): n tokens of width d, k
// slots per token, slot_row (n*k) naming each slot's buffer row or -1; w (n*k) or null = 1.
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_permute(const float* x, const int32_t* slot_row, const float* w, float* out, int64_t n,
                    int64_t k, int64_t d, int device, void* stream);
void launch_unpermute_combine(const float* y, const int32_t* slot_row, const float* w, float* out,
                              float beta, int64_t n, int64_t k, int64_t d, int device,
                              void* stream);
void launch_combine_weight_grad(const float* dout, const float* y, const int32_t* slot_row,
                                float* dw, int64_t n, int64_t k, int64_t d, int device,
                                void* stream);

}  // namespace moemt::kernels
