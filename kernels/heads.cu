// CUDA head layouts: one output element per thread (a pure permutation, so exact).
#include "heads.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

// y index ((b*H + h)*T + i)*dh + e  <-  x index (b*T + i)*H*dh + h*dh + e; `split` picks the
// direction (merge is the same map with x and y swapped).
template <bool kSplit>
__global__ void heads_kernel(const float* x, float* y, int64_t t, int64_t heads, int64_t dh,
                             int64_t total) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // o indexes the head layout (B,H,T,dh).
    const int64_t e = o % dh, i = (o / dh) % t, h = (o / dh / t) % heads, b = o / dh / t / heads;
    const int64_t flat = ((b * t + i) * heads + h) * dh + e;
    if (kSplit)
      y[o] = x[flat];
    else
      y[flat] = x[o];
  }
}

__global__ void concat_time_kernel(const float* a, const int32_t* a_rows, int64_t a_batch,
                                   const float* b, float* y, int64_t rows, int64_t heads,
                                   int64_t na, int64_t nb, int64_t total, int* bad) {
  const int64_t w = na + nb;
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = o / w, off = o % w;
    const int64_t r = i / heads, h = i % heads;
    const int64_t src = a_rows ? static_cast<int64_t>(a_rows[r]) : r;
    if (off < na && (src < 0 || src >= a_batch)) {
      y[o] = 0.f;
      if (off == 0 && h == 0) atomicMax(bad, static_cast<int>(rows - r));  // integer: exact
      continue;
    }
    y[o] = off < na ? a[(src * heads + h) * na + off] : b[i * nb + (off - na)];
  }
}

}  // namespace

void launch_split_heads(const float* x, float* y, int64_t b, int64_t t, int64_t heads, int64_t dh,
                        int device, void* stream) {
  const int64_t total = b * t * heads * dh;
  if (total == 0) return;
  cudaSetDevice(device);
  heads_kernel<true><<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, y, t, heads, dh, total);
  check_launch("split_heads");
}

void launch_merge_heads(const float* x, float* y, int64_t b, int64_t t, int64_t heads, int64_t dh,
                        int device, void* stream) {
  const int64_t total = b * t * heads * dh;
  if (total == 0) return;
  cudaSetDevice(device);
  heads_kernel<false><<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, y, t, heads, dh, total);
  check_launch("merge_heads");
}

void launch_concat_time(const float* a, const int32_t* a_rows, int64_t a_batch, const float* b,
                        float* y, int64_t rows, int64_t heads, int64_t na, int64_t nb, int* bad,
                        int device, void* stream) {
  const int64_t total = rows * heads * (na + nb);
  if (total == 0) return;
  cudaSetDevice(device);
  concat_time_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      a, a_rows, a_batch, b, y, rows, heads, na, nb, total, bad);
  check_launch("concat_time");
}

}  // namespace moemt::kernels
