// CUDA permutation ops. As on the CPU, every output element has one owner: a buffer row
// belongs to one slot (permute), a token's row sums its k slots in slot order (combine), and a
// slot's weight gradient is one warp's dot product in double — no atomics.
#include "block_reduce.cuh"
#include "launch.cuh"
#include "permute.cuh"

namespace moemt::kernels {

namespace {

__global__ void permute_kernel(const float* x, const int32_t* slot_row, const float* w, float* out,
                               int64_t k, int64_t d, int64_t total) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t slot = e / d, c = e % d;
    const int32_t r = slot_row[slot];
    if (r < 0) continue;
    const float v = x[(slot / k) * d + c];
    out[static_cast<int64_t>(r) * d + c] = w ? w[slot] * v : v;
  }
}

__global__ void combine_kernel(const float* y, const int32_t* slot_row, const float* w, float* out,
                               float beta, int64_t k, int64_t d, int64_t total) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = e / d, c = e % d;
    float acc = beta == 0.f ? 0.f : (beta == 1.f ? out[e] : beta * out[e]);
    for (int64_t j = 0; j < k; ++j) {
      const int32_t r = slot_row[t * k + j];
      if (r < 0) continue;
      acc += (w ? w[t * k + j] : 1.f) * y[static_cast<int64_t>(r) * d + c];
    }
    out[e] = acc;
  }
}

// One warp per slot.
__global__ void weight_grad_kernel(const float* dout, const float* y, const int32_t* slot_row,
                                   float* dw, int64_t k, int64_t d, int64_t slots) {
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  const int lane = threadIdx.x & 31;
  for (int64_t s = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32; s < slots;
       s += warps) {
    const int32_t r = slot_row[s];
    double acc = 0;
    if (r >= 0) {
      const float* a = dout + (s / k) * d;
      const float* b = y + static_cast<int64_t>(r) * d;
      for (int64_t c = lane; c < d; c += 32) acc += static_cast<double>(a[c]) * b[c];
    }
    acc = warp_sum(acc);
    if (lane == 0) dw[s] = static_cast<float>(acc);
  }
}

}  // namespace

void launch_permute(const float* x, const int32_t* slot_row, const float* w, float* out, int64_t n,
                    int64_t k, int64_t d, int device, void* stream) {
  const int64_t total = n * k * d;
  if (total == 0) return;
  cudaSetDevice(device);
  permute_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, slot_row, w, out, k, d, total);
  check_launch("permute");
}

void launch_unpermute_combine(const float* y, const int32_t* slot_row, const float* w, float* out,
                              float beta, int64_t n, int64_t k, int64_t d, int device,
                              void* stream) {
  const int64_t total = n * d;
  if (total == 0) return;
  cudaSetDevice(device);
  combine_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      y, slot_row, w, out, beta, k, d, total);
  check_launch("unpermute_combine");
}

void launch_combine_weight_grad(const float* dout, const float* y, const int32_t* slot_row,
                                float* dw, int64_t n, int64_t k, int64_t d, int device,
                                void* stream) {
  const int64_t slots = n * k;
  if (slots == 0) return;
  cudaSetDevice(device);
  weight_grad_kernel<<<blocks_for(slots * 32), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      dout, y, slot_row, dw, k, d, slots);
  check_launch("combine_weight_grad");
}

}  // namespace moemt::kernels
