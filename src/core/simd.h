// MOEMT_SIMD_CLONES: builds a hot loop for AVX-512, AVX2+FMA and baseline x86-64 and lets the
// dynamic loader pick the best one for the CPU at hand, so a portable build (no -march=native)
// still runs its own elementwise loops at full vector width. Put it on a plain function that
// holds the loop; an OpenMP region's body is outlined before cloning, so the parallel region
// should call such a function on each thread's chunk rather than carry the attribute itself.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__)
#define MOEMT_SIMD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MOEMT_SIMD_CLONES
#endif

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace moemt {

// Calls fn(share, begin, end) once per thread of a team on a contiguous, static share of
// [0, n), with as many threads as keep each share >= min_chunk. The split depends only on n,
// min_chunk and the team size, so per-share partial results combine deterministically.
// Returns the number of shares (fn's share argument runs over [0, shares)). Called inside a
// parallel region (an expert's job, say) it runs as one share on the calling thread: the
// split follows the team the runtime really gave, never the size that was asked for.
template <class Fn>
int parallel_chunks(int64_t n, int64_t min_chunk, Fn&& fn) {
  const int64_t most = std::max<int64_t>(1, n / std::max<int64_t>(min_chunk, 1));
  const int want = omp_in_parallel()
                       ? 1
                       : static_cast<int>(std::min<int64_t>(omp_get_max_threads(), most));
  int shares = 1;
#pragma omp parallel num_threads(want) if (want > 1)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    if (t == 0) shares = nt;
    fn(t, n * t / nt, n * (t + 1) / nt);
  }
  return shares;
}

}  // namespace moemt
