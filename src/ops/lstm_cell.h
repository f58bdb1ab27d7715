// One time step of an LSTM layer over a batch of rows, fused: gate nonlinearities, cell and
// hidden state, padding. The layer (nn/lstm.h) computes the input projection of all steps in
// one GEMM and the recurrent GEMM per step; this op does everything elementwise in between.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// B rows of hidden size H; gates in the order [i | f | g | o] along the 4H axis.
// gx (B,4H): x_t · W + b; gh (B,4H): h_prev · U. h_prev, c_prev (B,H): the state before step t.
// lengths: i32 (B), or undefined when every row is valid; row b is valid at step t when
// t < lengths[b]. A padded row keeps its state (h_next = h_prev, c_next = c_prev) and outputs
// y = 0. Writes acts (B,4H) (the activated gates, kept for backward; 0 on padded rows),
// h_next, c_next and y (B,H). The outputs may alias the inputs of the same shape.
void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y);

// Backward of one step. dy (B,H): gradient of y; dh_next, dc_next (B,H): gradients of the state
// the step wrote (zeros after the last step). acts, c_prev, c_next: as in and out of the forward.
// Writes dgates (B,4H): the gradient of gx and of gh (0 on padded rows); dc_prev (B,H); and
// dh_prev (B,H) without the recurrent term: dh_next on padded rows, 0 on valid rows, so the
// caller adds dgates · Uᵀ. dh_prev may alias dh_next and dc_prev dc_next.
void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev);

namespace cpu {
void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y);
void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev);
}  // namespace cpu
namespace cuda {
void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y);
void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev);
}  // namespace cuda

}  // namespace moemt::ops
