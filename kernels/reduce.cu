// CUDA reductions: a block per chunk of 16384 elements (as the CPU's blocks), summed in double
// with deterministic block reductions, then one block adds the chunks in order; a block per row
// for row sums.
#include "block_reduce.cuh"
#include "launch.cuh"
#include "reduce.cuh"

namespace moemt::kernels {

namespace {

constexpr int64_t kChunk = 1 << 14;

template <bool kSquares>
__global__ void chunk_sum_kernel(const float* x, int64_t n, double* partials) {
  __shared__ double sm[32];
  const int64_t i0 = blockIdx.x * kChunk;
  const int64_t i1 = i0 + kChunk < n ? i0 + kChunk : n;
  double s = 0;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    const double v = x[i];
    s += kSquares ? v * v : v;
  }
  s = block_sum(s, sm);
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

__global__ void sum_partials_kernel(const double* partials, int64_t count, double* out) {
  __shared__ double sm[32];
  double s = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
  s = block_sum(s, sm);
  if (threadIdx.x == 0) *out = s;
}

__global__ void row_sum_kernel(const float* x, float* out, int64_t cols) {
  __shared__ double sm[32];
  const float* row = x + blockIdx.x * cols;
  double s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += row[j];
  s = block_sum(s, sm);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(s);
}

}  // namespace

int64_t reduce_partials(int64_t n) { return n == 0 ? 1 : (n + kChunk - 1) / kChunk; }

void launch_sum(const float* x, int64_t n, bool squares, double* partials, double* out, int device,
                void* stream) {
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks > 0) {
    if (squares)
      chunk_sum_kernel<true><<<static_cast<unsigned>(chunks), kThreads, 0, s>>>(x, n, partials);
    else
      chunk_sum_kernel<false><<<static_cast<unsigned>(chunks), kThreads, 0, s>>>(x, n, partials);
    check_launch("sum (chunks)");
  }
  sum_partials_kernel<<<1, 1024, 0, s>>>(partials, chunks, out);
  check_launch("sum (partials)");
}

void launch_row_sum(const float* x, float* out, int64_t rows, int64_t cols, int device,
                    void* stream) {
  if (rows == 0) return;
  cudaSetDevice(device);
  row_sum_kernel<<<row_blocks(rows), row_threads(cols), 0, static_cast<cudaStream_t>(stream)>>>(
      x, out, cols);
  check_launch("row_sum");
}

}  // namespace moemt::kernels
