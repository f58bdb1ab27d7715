// Raw-pointer launchers of the attention head layouts (ops/heads.h), f32.
#pragma once

#include <cstdint>

namespace moemt::kernels {

// x (B,T,H*dh) -> y (B,H,T,dh).
void launch_split_heads(const float* x, float* y, int64_t b, int64_t t, int64_t heads, int64_t dh,
                        int device, void* stream);
// x (B,H,T,dh) -> y (B,T,H*dh).
void launch_merge_heads(const float* x, float* y, int64_t b, int64_t t, int64_t heads, int64_t dh,
                        int device, void* stream);
// y[r] = a[a_rows ? a_rows[r] : r] ++ b[r] along time: per (row, head) na = Ta*dh then
// nb = Tb*dh contiguous floats. a_rows must hold rows of a (callers build them: beam search).
void launch_concat_time(const float* a, const int32_t* a_rows, const float* b, float* y,
                        int64_t rows, int64_t heads, int64_t na, int64_t nb, int device,
                        void* stream);

}  // namespace moemt::kernels
