// CUDA gate product: one token per thread, its k slots in order (the CPU's loop).
#include "launch.cuh"
#include "moe_gate_scale.cuh"

namespace moemt::kernels {

namespace {

__global__ void gate_scale_kernel(const float* g, const float* s, float* o, int64_t n, int64_t k) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x)
    for (int64_t j = 0; j < k; ++j) o[t * k + j] = g[t * k + j] * s[t];
}

__global__ void gate_scale_backward_kernel(const float* d, const float* g, const float* s,
                                           float* dg, float* ds, int64_t n, int64_t k) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float acc = 0.f;
    for (int64_t j = 0; j < k; ++j) {
      acc += d[t * k + j] * g[t * k + j];
      dg[t * k + j] = d[t * k + j] * s[t];  // after the read above: dgate may alias dout
    }
    ds[t] = acc;
  }
}

}  // namespace

void launch_moe_gate_scale(const float* gate, const float* scale, float* out, int64_t n, int64_t k,
                           int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  gate_scale_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(gate, scale,
                                                                                       out, n, k);
  check_launch("moe_gate_scale");
}

void launch_moe_gate_scale_backward(const float* dout, const float* gate, const float* scale,
                                    float* dgate, float* dscale, int64_t n, int64_t k, int device,
                                    void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  gate_scale_backward_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      dout, gate, scale, dgate, dscale, n, k);
  check_launch("moe_gate_scale_backward");
}

}  // namespace moemt::kernels
