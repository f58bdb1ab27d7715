// Raw-pointer launchers of the fused LSTM step (ops/lstm_cell.h): rows x h, gates [i|f|g|o]
// along 4h; lengths i32 (rows) or null (every row valid at step t).
#pragma once

#include <cstdint>

namespace moemt::kernels {

void launch_lstm_cell_forward(const float* gx, const float* gh, const float* h_prev,
                              const float* c_prev, const int32_t* lengths, int64_t t, float* acts,
                              float* h_next, float* c_next, float* y, int64_t rows, int64_t h,
                              int device, void* stream);
void launch_lstm_cell_backward(const float* dy, const float* dh_next, const float* dc_next,
                               const float* acts, const float* c_prev, const float* c_next,
                               const int32_t* lengths, int64_t t, float* dgates, float* dh_prev,
                               float* dc_prev, int64_t rows, int64_t h, int device, void* stream);

}  // namespace moemt::kernels
