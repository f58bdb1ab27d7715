// parallel_chunks: every index is visited exactly once, at the top level and when called from
// inside a parallel region (where the runtime gives a nested region one thread).
#include "core/simd.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/threads.h"

namespace moemt {
namespace {

TEST(ParallelChunks, CoversEveryIndexOnceAtTopLevelAndNested) {
  const int before = num_threads();
  set_num_threads(2);
  const int64_t n = 1 << 18;
  std::vector<std::atomic<int>> seen(n);
  int shares = parallel_chunks(n, 1 << 10, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) ++seen[i];
  });
  EXPECT_GE(shares, 1);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << i;
  // Two outer threads, each handing its half to parallel_chunks: nested, so one share each.
  std::vector<std::atomic<int>> nested(n);
  std::vector<int> inner_shares(2, 0);
#pragma omp parallel num_threads(2)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    inner_shares[t] = parallel_chunks(hi - lo, 1 << 10, [&](int, int64_t a, int64_t b) {
      for (int64_t i = lo + a; i < lo + b; ++i) ++nested[i];
    });
  }
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(nested[i].load(), 1) << i;
  EXPECT_EQ(inner_shares[0], 1);
  set_num_threads(before);
}

}  // namespace
}  // namespace moemt
