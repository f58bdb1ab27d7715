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

// Calls fn(thread, begin, end) once per thread on a contiguous, static share of [0, n), with
// as many threads as keep each share >= min_chunk. The split depends only on n, min_chunk and
// the thread count, so per-thread partial results combine deterministically. Returns the
// number of shares (fn's thread argument runs over [0, shares)).
template <class Fn>
int parallel_chunks(int64_t n, int64_t min_chunk, Fn&& fn) {
  const int64_t most = std::max<int64_t>(1, n / std::max<int64_t>(min_chunk, 1));
  const int nt = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), most));
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = omp_get_thread_num();
    fn(t, n * t / nt, n * (t + 1) / nt);
  }
  return nt;
}

}  // namespace moemt
