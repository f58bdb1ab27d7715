// The CUDA runtime behind core: device memory, copies, memset, streams and events through the
// CUDA runtime API (plain C++, no kernels; kernels live in kernels/). Without MOEMT_CUDA every
// entry point says this build has no CUDA, and cuda_device_count() is 0.
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "core/stream.h"

namespace moemt {

// Visible CUDA devices; 0 when the build has no CUDA or the machine no GPU (tests skip then).
int cuda_device_count();

// The raw allocator of CUDA device `index` (cudaMalloc, stream events). Throws Error naming the
// device when it does not exist or the build has no CUDA.
RawAllocator* cuda_raw_allocator(int index);

// Copies involving a CUDA device run on the current stream; a copy that touches host memory
// waits for it, since the caller reads or reuses that memory next.
void cuda_copy(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes);
// Sets `bytes` bytes to `value` on the current stream of `device`, without a host buffer.
void cuda_memset(void* dst, Device device, int value, size_t bytes);

// A new non-blocking stream on `device` (for communication next to compute), and waiting.
Stream cuda_create_stream(Device device);
void cuda_synchronize(Stream s);

}  // namespace moemt
