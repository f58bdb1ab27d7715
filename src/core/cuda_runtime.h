// The CUDA runtime behind core: device memory, copies, memset, streams and events through the
// CUDA runtime API (plain C++, no kernels; kernels live in kernels/). Without MOEMT_CUDA every
// entry point says this build has no CUDA, and cuda_device_count() is 0.
#pragma once

#include <cstddef>
#include <string>

#include "core/allocator.h"
#include "core/stream.h"

namespace moemt {

// Visible CUDA devices; 0 when the build has no CUDA or the machine no GPU (tests skip then).
int cuda_device_count();

// Throws one clear line when this process cannot use `d`: a build without CUDA, no GPU
// visible, or an index past the last visible device. Nothing for the CPU. The CLI calls it
// right after reading --devices, before any data is read.
void require_device(Device d);

// A visible CUDA device, for `moemt version`: name, compute capability, memory.
struct CudaDeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  size_t free_bytes = 0, total_bytes = 0;
};
CudaDeviceInfo cuda_device_info(int index);  // throws as require_device does

// The one-line error for a failed device allocation: the device, what was requested, what
// cudaMemGetInfo reported free and in total, and which options lower the need. Device-free,
// so tests check it without a GPU.
std::string out_of_memory_message(int device, size_t requested, size_t free_bytes,
                                  size_t total_bytes);

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
