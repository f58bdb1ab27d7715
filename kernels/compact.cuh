// Raw-pointer launcher of the non-pad row compaction (ops/compact.h).
#pragma once

#include <cstdint>

namespace moemt::kernels {

// index[0..m) = rows r (ascending) with targets[r] != pad, kept[i] = targets[index[i]],
// *count = m; all pointers on the device.
void launch_compact_nonpad(const int32_t* targets, int64_t n, int32_t pad, int32_t* index,
                           int32_t* kept, int32_t* count, int device, void* stream);

}  // namespace moemt::kernels
