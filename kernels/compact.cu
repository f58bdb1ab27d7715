// CUDA compaction of the non-pad rows: one block, each thread owning a contiguous run of rows,
// a block-wide exclusive scan of the runs' counts, then each thread writes its rows in order, so
// the result is stable and equal to the CPU's loop. N is the batch's B*T (thousands of rows):
// one block of 1024 threads reads it in a few passes.
#include <cub/block/block_scan.cuh>

#include "compact.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

constexpr int kCompactThreads = 1024;

__global__ void compact_kernel(const int32_t* targets, int64_t n, int32_t pad, int32_t* index,
                               int32_t* kept, int32_t* count) {
  using Scan = cub::BlockScan<int, kCompactThreads>;
  __shared__ typename Scan::TempStorage tmp;
  const int64_t run = (n + kCompactThreads - 1) / kCompactThreads;
  const int64_t lo = threadIdx.x * run, hi = lo + run < n ? lo + run : n;
  int mine = 0;
  for (int64_t r = lo; r < hi; ++r) mine += targets[r] != pad;
  int offset = 0, total = 0;
  Scan(tmp).ExclusiveSum(mine, offset, total);
  for (int64_t r = lo; r < hi; ++r)
    if (targets[r] != pad) {
      index[offset] = static_cast<int32_t>(r);
      kept[offset] = targets[r];
      ++offset;
    }
  if (threadIdx.x == 0) *count = total;
}

}  // namespace

void launch_compact_nonpad(const int32_t* targets, int64_t n, int32_t pad, int32_t* index,
                           int32_t* kept, int32_t* count, int device, void* stream) {
  cudaSetDevice(device);
  compact_kernel<<<1, kCompactThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      targets, n, pad, index, kept, count);
  check_launch("compact_nonpad");
}

}  // namespace moemt::kernels
