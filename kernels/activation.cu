// CUDA activations: one element per thread with the CPU's formulas (ops/math/activation.h).
#include "activation.cuh"
#include "launch.cuh"
#include "ops/math/activation.h"

namespace moemt::kernels {

namespace {

namespace m = moemt::ops::math;

template <int kAct>
__device__ inline float fwd(float v) {
  return kAct == 0 ? m::relu(v) : (kAct == 1 ? m::gelu(v) : m::gelu_erf(v));
}

template <int kAct>
__device__ inline float bwd(float v, float g) {
  return kAct == 0 ? m::relu_backward(v, g)
                   : g * (kAct == 1 ? m::gelu_grad(v) : m::gelu_erf_grad(v));
}

template <int kAct>
__global__ void forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = fwd<kAct>(x[i]);
}

template <int kAct>
__global__ void backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dx[i] = bwd<kAct>(x[i], dy[i]);
}

}  // namespace

void launch_activation_forward(int act, const float* x, float* y, int64_t n, int device,
                               void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (act == 0)
    forward_kernel<0><<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  else if (act == 1)
    forward_kernel<1><<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  else
    forward_kernel<2><<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  check_launch("activation_forward");
}

void launch_activation_backward(int act, const float* x, const float* dy, float* dx, int64_t n,
                                int device, void* stream) {
  if (n == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (act == 0)
    backward_kernel<0><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  else if (act == 1)
    backward_kernel<1><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  else
    backward_kernel<2><<<blocks_for(n), kThreads, 0, s>>>(x, dy, dx, n);
  check_launch("activation_backward");
}

}  // namespace moemt::kernels
