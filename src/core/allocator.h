// Per-device caching allocator: freed blocks are kept in size-class bins and handed out again,
// so a training loop that repeats the same shapes stops calling malloc after its first step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "core/dtype.h"

namespace moemt {

struct MemoryStats {
  size_t in_use = 0;     // bytes handed out and not yet returned
  size_t cached = 0;     // bytes held in free bins
  size_t peak = 0;       // high-water mark of in_use
  uint64_t system_allocs = 0;  // calls that reached the system allocator
};

// Raw-memory backend of one device kind (malloc on CPU, cudaMalloc on CUDA).
class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* p) = 0;
};

class CachingAllocator {
 public:
  explicit CachingAllocator(RawAllocator* raw) : raw_(raw) {}
  ~CachingAllocator();
  void* allocate(size_t bytes, size_t* rounded);
  void deallocate(void* p, size_t rounded);
  void empty_cache();  // returns every cached block to the system
  MemoryStats stats() const;
  // Debugging aid (host memory only): fill every block handed out with 0xff bytes (NaN).
  void set_poison(bool on) { poison_ = on; }
  // Rounds up to a size class: 256-byte steps below 64 KiB, then 8 classes per power of two,
  // which bounds waste to 12.5 % while keeping the number of bins small.
  static size_t round_size(size_t bytes);

 private:
  RawAllocator* raw_;
  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  MemoryStats stats_;
  bool poison_ = false;
};

// The allocator for a device; CUDA devices are registered by the CUDA backend at start-up.
CachingAllocator& allocator_for(Device d);
void register_raw_allocator(DeviceKind kind, RawAllocator* raw);

}  // namespace moemt
