// Stream compaction of the rows whose target is not padding: the loss paths gather those rows
// into contiguous tensors so the vocabulary GEMMs skip padding, without reading the targets
// to the host (a stable scan; on CUDA a flagged select).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace moemt::ops {

// targets i32 (N) -> index i32 (N), kept i32 (N), count i32 (1), all on targets' device.
// The first m = count entries of index are, in increasing order, the rows r with
// targets[r] != pad_id, and kept[i] = targets[index[i]]; entries past m are left as they were.
void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count);

namespace cpu {
void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count);
}
namespace cuda {
void compact_nonpad(const Tensor& targets, int32_t pad_id, Tensor& index, Tensor& kept,
                    Tensor& count);
}

}  // namespace moemt::ops
