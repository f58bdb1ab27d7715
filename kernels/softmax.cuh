// Raw-pointer launchers of the masked row softmax (ops/softmax.h). Rows of `cols` keys; with
// masks, row r is query r % tq of head block r / tq, whose batch item is r / tq / heads.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// key_lengths: i32 per batch item on the device, or null; causal hides keys j > i + offset.
void launch_softmax_forward(const float* x, float* y, int64_t rows, int64_t cols, int64_t tq,
                            const int32_t* key_lengths, int64_t heads, bool causal,
                            int64_t causal_offset, int device, void* stream);
void launch_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                             int device, void* stream);

}  // namespace moemt::kernels
