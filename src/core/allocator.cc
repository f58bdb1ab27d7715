// Caching allocator implementation and the CPU raw allocator (64-byte aligned for SIMD/BLAS).
#include "core/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "core/cuda_runtime.h"
#include "core/error.h"

namespace moemt {

namespace {
class CpuRawAllocator : public RawAllocator {
 public:
  // MOEMT_POISON_ALLOC=1 fills every handed-out block with NaN bytes, so code that reads
  // memory it never wrote (a bug the cache would otherwise hide) fails loudly in tests.
  static bool poison() {
    static const bool on = [] {
      const char* v = std::getenv("MOEMT_POISON_ALLOC");
      return v && *v && *v != '0';
    }();
    return on;
  }
  void* allocate(size_t bytes) override {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) throw Error("out of host memory allocating {} bytes", bytes);
    return p;
  }
  void deallocate(void* p) override { std::free(p); }
};

struct Registry {
  std::mutex mu;
  RawAllocator* cpu = nullptr;
  std::map<std::pair<int, int>, std::unique_ptr<CachingAllocator>> by_device;
};
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();  // leaked on purpose: tensors may outlive static destruction
    static CpuRawAllocator cpu;
    reg->cpu = &cpu;
    return reg;
  }();
  return *r;
}
}  // namespace

CachingAllocator::~CachingAllocator() { empty_cache(); }

size_t CachingAllocator::round_size(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= 65536) return (bytes + 255) / 256 * 256;
  size_t p = 1;
  while (p * 2 <= bytes) p *= 2;
  size_t step = p / 8;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes, size_t* rounded, void* stream) {
  size_t sz = round_size(bytes);
  *rounded = sz;
  {
    std::lock_guard lk(mu_);
    if (!pending_.empty()) collect_pending_locked();
    auto it = free_.find({stream, sz});
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.cached -= sz;
      stats_.in_use += sz;
      stats_.peak = std::max(stats_.peak, stats_.in_use);
      if (poison_) std::memset(p, 0xff, sz);
      return p;
    }
  }
  void* p = nullptr;
  try {
    p = raw_->allocate(sz);
  } catch (const Error&) {
    empty_cache();  // retry once with the cache released
    p = raw_->allocate(sz);
  }
  std::lock_guard lk(mu_);
  stats_.system_allocs++;
  stats_.in_use += sz;
  stats_.peak = std::max(stats_.peak, stats_.in_use);
  if (poison_) std::memset(p, 0xff, sz);
  return p;
}

void CachingAllocator::deallocate(void* p, size_t rounded, void* stream,
                                  const std::vector<void*>& used_on) {
  std::vector<void*> events;
  for (void* s : used_on)
    if (s != stream)
      if (void* e = raw_->record_event(s)) events.push_back(e);
  std::lock_guard lk(mu_);
  stats_.in_use -= rounded;
  stats_.cached += rounded;
  if (events.empty()) free_[{stream, rounded}].push_back(p);
  else pending_.push_back({p, rounded, stream, std::move(events)});
}

void CachingAllocator::collect_pending_locked() {
  auto done = [&](Pending& b) {
    for (void* e : b.events)
      if (!raw_->event_done(e)) return false;
    for (void* e : b.events) raw_->destroy_event(e);
    free_[{b.stream, b.size}].push_back(b.ptr);
    return true;
  };
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(), done), pending_.end());
}

void CachingAllocator::empty_cache() {
  std::lock_guard lk(mu_);
  collect_pending_locked();
  for (auto& [key, ptrs] : free_)
    for (void* p : ptrs) {
      raw_->deallocate(p);
      stats_.cached -= key.second;
    }
  free_.clear();
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

CachingAllocator& allocator_for(Device d) {
  auto& r = registry();
  std::lock_guard lk(r.mu);
  auto key = std::make_pair(static_cast<int>(d.kind), d.index);
  auto it = r.by_device.find(key);
  if (it != r.by_device.end()) return *it->second;
  RawAllocator* raw = d.is_cpu() ? r.cpu : cuda_raw_allocator(d.index);
  auto [ins, ok] = r.by_device.emplace(key, std::make_unique<CachingAllocator>(raw));
  if (d.is_cpu() && CpuRawAllocator::poison()) ins->second->set_poison(true);
  return *ins->second;
}

}  // namespace moemt
