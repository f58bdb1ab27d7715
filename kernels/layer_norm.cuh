// Raw-pointer launchers of layer norm (ops/layer_norm.h) over rows x cols, f32.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// mean and rstd may be null (inference).
void launch_layer_norm_forward(const float* x, const float* gamma, const float* beta, float eps,
                               float* y, float* mean, float* rstd, int64_t rows, int64_t cols,
                               int device, void* stream);

// Row blocks of the parameter gradients' partial sums; `partials` holds
// 2 * layer_norm_row_blocks(rows) * cols floats of scratch.
int64_t layer_norm_row_blocks(int64_t rows);

// dx (may alias dy); dgamma += sum_n dy * xhat and dbeta += sum_n dy, summed per block of 32
// rows and then over the blocks in order, as the CPU does (deterministic).
void launch_layer_norm_backward(const float* dy, const float* x, const float* gamma,
                                const float* mean, const float* rstd, float* dx, float* dgamma,
                                float* dbeta, float* partials, int64_t rows, int64_t cols,
                                int device, void* stream);

}  // namespace moemt::kernels
