// Head layout permutations for multi-head attention: (B,T,H*dh) <-> (B,H,T,dh), so that
// scores = Q·Kᵀ of every (batch item, head) is one gemm_batched; and appending time steps to a
// head-layout key/value cache during incremental decoding.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// x (B,T,H*dh) -> y (B,H,T,dh). The backward of split_heads is merge_heads and vice versa,
// since both are permutations.
void split_heads(const Tensor& x, int64_t heads, Tensor& y);
// x (B,H,T,dh) -> y (B,T,H*dh).
void merge_heads(const Tensor& x, Tensor& y);

// Concatenation along time of two head-layout tensors: a (B,H,Ta,dh), b (B,H,Tb,dh) ->
// y (B,H,Ta+Tb,dh). Grows a key/value cache by the new step's keys.
void concat_time(const Tensor& a, const Tensor& b, Tensor& y);
// The same with a row gather of a folded in: y[r] = a[a_rows[r]] ++ b[r], a (Ba,H,Ta,dh),
// a_rows i32 (B) with values in [0, Ba), b (B,H,Tb,dh), y (B,H,Ta+Tb,dh). Beam search
// reorders and grows a self-attention cache in one copy this way.
void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y);

namespace cpu {
void split_heads(const Tensor& x, int64_t heads, Tensor& y);
void merge_heads(const Tensor& x, Tensor& y);
void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y);
}  // namespace cpu
namespace cuda {
void split_heads(const Tensor& x, int64_t heads, Tensor& y);
void merge_heads(const Tensor& x, Tensor& y);
void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y);
}  // namespace cuda

}  // namespace moemt::ops
