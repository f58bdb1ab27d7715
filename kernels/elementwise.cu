// CUDA elementwise f32 kernels: grid-stride loops, one element per thread; the bias gradient
// sums each column in row order (one thread per column), so it is deterministic.
#include "elementwise.cuh"
#include "launch.cuh"

namespace moemt::kernels {

namespace {

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = a[i] + b[i];
}

__global__ void add_inplace_kernel(float* y, const float* x, float scale, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += scale * x[i];
}

__global__ void mul_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = a[i] * b[i];
}

__global__ void scale_kernel(float* x, float s, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] *= s;
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t n, int64_t cols) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += bias[i % cols];
}

__global__ void bias_grad_kernel(const float* dy, float* db, int64_t rows, int64_t cols) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < cols;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double s = 0;  // double over many rows, as the CPU's blocked sums
    for (int64_t r = 0; r < rows; ++r) s += dy[r * cols + c];
    db[c] += static_cast<float>(s);
  }
}

cudaStream_t on(int device, void* stream) {
  cudaSetDevice(device);
  return static_cast<cudaStream_t>(stream);
}

}  // namespace

void launch_add(const float* a, const float* b, float* out, int64_t n, int device, void* stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, on(device, stream)>>>(a, b, out, n);
  check_launch("add");
}

void launch_add_inplace(float* y, const float* x, float scale, int64_t n, int device, void* stream) {
  if (n == 0) return;
  add_inplace_kernel<<<blocks_for(n), kThreads, 0, on(device, stream)>>>(y, x, scale, n);
  check_launch("add_inplace");
}

void launch_mul(const float* a, const float* b, float* out, int64_t n, int device, void* stream) {
  if (n == 0) return;
  mul_kernel<<<blocks_for(n), kThreads, 0, on(device, stream)>>>(a, b, out, n);
  check_launch("mul");
}

void launch_scale(float* x, float s, int64_t n, int device, void* stream) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n), kThreads, 0, on(device, stream)>>>(x, s, n);
  check_launch("scale");
}

void launch_add_bias(float* y, const float* bias, int64_t rows, int64_t cols, int device,
                     void* stream) {
  if (rows * cols == 0) return;
  add_bias_kernel<<<blocks_for(rows * cols), kThreads, 0, on(device, stream)>>>(y, bias, rows * cols,
                                                                               cols);
  check_launch("add_bias");
}

void launch_bias_grad(const float* dy, float* db, int64_t rows, int64_t cols, int device,
                      void* stream) {
  if (cols == 0) return;
  bias_grad_kernel<<<blocks_for(cols), kThreads, 0, on(device, stream)>>>(dy, db, rows, cols);
  check_launch("bias_grad");
}

}  // namespace moemt::kernels
