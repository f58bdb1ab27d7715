// The caching allocator's stream rules, on a fake device whose events complete when the test
// says so: a block is reused at once on its own stream, never on another, and a block another
// stream used waits for that stream's event.
#include "core/allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace moemt {
namespace {

class FakeDevice : public RawAllocator {
 public:
  void* allocate(size_t bytes) override {
    ++allocs;
    return new char[bytes];
  }
  void deallocate(void* p) override { delete[] static_cast<char*>(p); }
  void* record_event(void* stream) override {
    events.push_back(false);
    return reinterpret_cast<void*>(events.size());  // 1-based handle
  }
  bool event_done(void* e) override { return events[reinterpret_cast<size_t>(e) - 1]; }
  void destroy_event(void* e) override { ++destroyed; }

  int allocs = 0, destroyed = 0;
  std::vector<bool> events;
};

void* const kCompute = reinterpret_cast<void*>(0x10);
void* const kComm = reinterpret_cast<void*>(0x20);

}  // namespace

TEST(CachingAllocator, ReusesABlockOnlyOnItsOwnStream) {
  FakeDevice dev;
  CachingAllocator a(&dev);
  size_t r = 0;
  void* p = a.allocate(1000, &r, kCompute);
  a.deallocate(p, r, kCompute);
  EXPECT_EQ(a.allocate(1000, &r, kCompute), p);  // same stream: safe at once
  a.deallocate(p, r, kCompute);
  void* q = a.allocate(1000, &r, kComm);  // another stream must not get it
  EXPECT_NE(q, p);
  EXPECT_EQ(dev.allocs, 2);
  a.deallocate(q, r, kComm);
  EXPECT_EQ(a.stats().cached, 2 * r);
  a.empty_cache();
  EXPECT_EQ(a.stats().cached, 0u);
}

TEST(CachingAllocator, BlockUsedOnAnotherStreamWaitsForItsEvent) {
  FakeDevice dev;
  CachingAllocator a(&dev);
  size_t r = 0;
  void* p = a.allocate(4096, &r, kCompute);
  a.deallocate(p, r, kCompute, {kComm});  // the communication stream read it
  ASSERT_EQ(dev.events.size(), 1u);
  void* q = a.allocate(4096, &r, kCompute);
  EXPECT_NE(q, p) << "reused before the other stream's event completed";
  a.deallocate(q, r, kCompute);
  dev.events[0] = true;  // the communication stream caught up
  void* s1 = a.allocate(4096, &r, kCompute);
  void* s2 = a.allocate(4096, &r, kCompute);
  EXPECT_EQ(std::set<void*>({s1, s2}), std::set<void*>({p, q}));
  EXPECT_EQ(dev.destroyed, 1);
  EXPECT_EQ(dev.allocs, 2);
  a.deallocate(s1, r, kCompute);
  a.deallocate(s2, r, kCompute);
}

TEST(CachingAllocator, CpuStreamsAreOneQueue) {
  // The CPU's events are complete at once: a recorded use on another "stream" holds nothing.
  struct Cpu : RawAllocator {
    void* allocate(size_t b) override { return new char[b]; }
    void deallocate(void* p) override { delete[] static_cast<char*>(p); }
  } cpu;
  CachingAllocator a(&cpu);
  size_t r = 0;
  void* p = a.allocate(64, &r);
  a.deallocate(p, r, nullptr, {kComm});
  EXPECT_EQ(a.allocate(64, &r), p);
  a.deallocate(p, r);
}

}  // namespace moemt
