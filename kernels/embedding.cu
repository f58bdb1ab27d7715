// CUDA embedding gather and gradient. The gradient groups positions by id with CUB's stable
// radix sort and run-length encoding, then gives each run (one table row) to one block, which
// adds the run's rows in position order: the CPU's order, with no atomics.
#include <cub/cub.cuh>
#include <stdexcept>
#include <string>

#include "embedding.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

__global__ void lookup_kernel(const int32_t* ids, const float* table, float scale, float* out,
                              int64_t vocab, int64_t d, int64_t total, int* bad) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / d;
    const int32_t id = ids[i];
    if (id < 0 || id >= vocab) {
      out[e] = 0.f;
      if (e % d == 0) atomicMax(bad, static_cast<int>(total / d - i));  // integer: exact
      continue;
    }
    out[e] = scale * table[static_cast<int64_t>(id) * d + e % d];
  }
}

__global__ void iota_kernel(int32_t* p, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    p[i] = static_cast<int32_t>(i);
}

// Blocks stride over runs; threads over columns.
__global__ void run_sum_kernel(const int32_t* unique, const int32_t* counts, const int32_t* offsets,
                               const int32_t* num_runs, const int32_t* order, const float* dy,
                               float scale, float* dtable, int64_t d) {
  const int32_t runs = *num_runs;
  for (int32_t run = blockIdx.x; run < runs; run += gridDim.x) {
    float* dst = dtable + static_cast<int64_t>(unique[run]) * d;
    const int32_t p0 = offsets[run], p1 = p0 + counts[run];
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
      float acc = dst[c];
      for (int32_t p = p0; p < p1; ++p) acc += scale * dy[static_cast<int64_t>(order[p]) * d + c];
      dst[c] = acc;
    }
  }
}

size_t align(size_t b) { return (b + 255) / 256 * 256; }

int key_bits(int64_t vocab) {
  int bits = 1;
  while (bits < 31 && (int64_t{1} << bits) < vocab) ++bits;
  return bits;
}

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("embedding_grad ") + what + ": " + cudaGetErrorString(e));
}

// The CUB temporary storage (one buffer reused by the three calls).
size_t cub_bytes(int n, int bits) {
  size_t sort = 0, rle = 0, scan = 0;
  int32_t* p = nullptr;
  cub::DeviceRadixSort::SortPairs(nullptr, sort, p, p, p, p, n, 0, bits);
  cub::DeviceRunLengthEncode::Encode(nullptr, rle, p, p, p, p, n);
  cub::DeviceScan::ExclusiveSum(nullptr, scan, p, p, n);
  size_t m = sort > rle ? sort : rle;
  return m > scan ? m : scan;
}

}  // namespace

void launch_embedding_lookup(const int32_t* ids, const float* table, float scale, float* out,
                             int64_t n, int64_t vocab, int64_t d, int* bad, int device,
                             void* stream) {
  const int64_t total = n * d;
  if (total == 0) return;
  cudaSetDevice(device);
  lookup_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      ids, table, scale, out, vocab, d, total, bad);
  check_launch("embedding_lookup");
}

size_t embedding_grad_workspace(int64_t n, int64_t vocab) {
  // Sorted ids, positions in and out, unique ids, counts, offsets, the run count, CUB's storage.
  const size_t arr = align(static_cast<size_t>(n) * sizeof(int32_t));
  return 6 * arr + align(sizeof(int32_t)) + align(cub_bytes(static_cast<int>(n), key_bits(vocab)));
}

void launch_embedding_grad(const int32_t* ids, const float* dy, float scale, float* dtable,
                           int64_t n, int64_t vocab, int64_t d, void* workspace, int device,
                           void* stream) {
  if (n == 0 || d == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const int ni = static_cast<int>(n);
  const int bits = key_bits(vocab);
  const size_t arr = align(static_cast<size_t>(n) * sizeof(int32_t));
  char* w = static_cast<char*>(workspace);
  auto* sorted_ids = reinterpret_cast<int32_t*>(w);
  auto* pos_in = reinterpret_cast<int32_t*>(w + arr);
  auto* order = reinterpret_cast<int32_t*>(w + 2 * arr);
  auto* unique = reinterpret_cast<int32_t*>(w + 3 * arr);
  auto* counts = reinterpret_cast<int32_t*>(w + 4 * arr);
  auto* offsets = reinterpret_cast<int32_t*>(w + 5 * arr);
  auto* num_runs = reinterpret_cast<int32_t*>(w + 6 * arr);
  void* temp = w + 6 * arr + align(sizeof(int32_t));
  size_t temp_bytes = cub_bytes(ni, bits);

  iota_kernel<<<blocks_for(n), kThreads, 0, s>>>(pos_in, n);
  check_launch("embedding_grad (positions)");
  // Counts past the last run stay 0, so the scan reads defined memory.
  check_cuda(cudaMemsetAsync(counts, 0, arr, s), "memset");
  size_t b = temp_bytes;
  check_cuda(
      cub::DeviceRadixSort::SortPairs(temp, b, ids, sorted_ids, pos_in, order, ni, 0, bits, s),
      "sort");
  b = temp_bytes;
  check_cuda(
      cub::DeviceRunLengthEncode::Encode(temp, b, sorted_ids, unique, counts, num_runs, ni, s),
      "runs");
  b = temp_bytes;
  check_cuda(cub::DeviceScan::ExclusiveSum(temp, b, counts, offsets, ni, s), "offsets");
  const unsigned grid = static_cast<unsigned>(n < 65535 * 8 ? n : 65535 * 8);
  const unsigned threads = d >= 256 ? 256 : static_cast<unsigned>((d + 31) / 32 * 32);
  run_sum_kernel<<<grid, threads, 0, s>>>(unique, counts, offsets, num_runs, order, dy, scale,
                                          dtable, d);
  check_launch("embedding_grad (runs)");
}

}  // namespace moemt::kernels
