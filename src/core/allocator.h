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

// Raw-memory backend of one device (malloc on CPU, cudaMalloc on CUDA), with the stream events
// the caching allocator needs. The CPU runs in program order: its events are complete at once.
class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* p) = 0;
  // An event after the work queued so far on `stream`; nullptr means already complete.
  virtual void* record_event(void* stream) { return nullptr; }
  virtual bool event_done(void* event) { return true; }
  virtual void destroy_event(void* event) {}
};

// Stream-aware (as PyTorch's CUDA caching allocator): a freed block goes back to the bin of the
// stream it was allocated on and is reused only by allocations on that stream, whose order
// makes reuse safe. A block that other streams used (Tensor::record_stream: a communication
// stream, say) is held until events recorded at free time on those streams have completed.
class CachingAllocator {
 public:
  explicit CachingAllocator(RawAllocator* raw) : raw_(raw) {}
  ~CachingAllocator();
  void* allocate(size_t bytes, size_t* rounded, void* stream = nullptr);
  void deallocate(void* p, size_t rounded, void* stream = nullptr,
                  const std::vector<void*>& used_on = {});
  void empty_cache();  // returns every cached block to the system
  MemoryStats stats() const;
  // Debugging aid (host memory only): fill every block handed out with 0xff bytes (NaN).
  void set_poison(bool on) { poison_ = on; }
  // Rounds up to a size class: 256-byte steps below 64 KiB, then 8 classes per power of two,
  // which bounds waste to 12.5 % while keeping the number of bins small.
  static size_t round_size(size_t bytes);

 private:
  struct Pending {  // freed, waiting for other streams' events
    void* ptr;
    size_t size;
    void* stream;
    std::vector<void*> events;
  };
  void collect_pending_locked();  // moves blocks whose events completed into their bins

  RawAllocator* raw_;
  mutable std::mutex mu_;
  std::map<std::pair<void*, size_t>, std::vector<void*>> free_;  // (stream, size) -> blocks
  std::vector<Pending> pending_;
  MemoryStats stats_;
  bool poison_ = false;
};

// The allocator for a device. CUDA devices are attached on first use (core/cuda_runtime.cc,
// built with MOEMT_CUDA): an explicit call, not static registration, which a static library
// would let the linker drop.
CachingAllocator& allocator_for(Device d);

}  // namespace moemt
