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
// nb = Tb*dh contiguous floats. A row of a_rows outside [0, a_batch) leaves zeros and sets
// *bad (a device int the caller zeroes; may be null without a_rows) to n - r for the first
// such row r of n.
void launch_concat_time(const float* a, const int32_t* a_rows, int64_t a_batch, const float* b,
                        float* y, int64_t rows, int64_t heads, int64_t na, int64_t nb, int* bad,
                        int device, void* stream);

}  // namespace moemt::kernels
