// Streams: the ordered queue a device runs work on. Ops launch on the calling thread's current
// stream of the tensor's device (set by nn::Ctx through StreamGuard); the CPU runs everything in
// program order, so its stream is the null handle and its events complete at once.
#pragma once

#include "core/dtype.h"

namespace moemt {

struct Stream {
  Device device = Device::cpu();
  void* handle = nullptr;  // cudaStream_t on CUDA; nullptr = the device's default stream
  bool operator==(const Stream& o) const { return device == o.device && handle == o.handle; }
};

// The calling thread's current stream for `device` (the default stream unless a guard set one).
Stream current_stream(Device device);

// Makes `s` the current stream of its device on this thread for the guard's lifetime.
class StreamGuard {
 public:
  explicit StreamGuard(Stream s);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream prev_;
};

}  // namespace moemt
