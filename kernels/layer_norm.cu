// CUDA layer norm: one block per row for the statistics and dx (sums in double, as the CPU);
// the parameter gradients are summed per block of 32 rows (one thread per column) and then over
// the blocks in order, so they are deterministic without atomics.
#include "block_reduce.cuh"
#include "launch.cuh"
#include "layer_norm.cuh"

namespace moemt::kernels {

namespace {

constexpr int64_t kRowBlock = 32;

__global__ void ln_forward_kernel(const float* x, const float* g, const float* b, float eps,
                                  float* y, float* mean, float* rstd, int64_t cols) {
  __shared__ double sm[32];
  const int64_t r = blockIdx.x;
  const float* xr = x + r * cols;
  float* yr = y + r * cols;
  double s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
  const double m = block_sum(s, sm) / static_cast<double>(cols);
  double v = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const double d = xr[j] - m;
    v += d * d;
  }
  v = block_sum(v, sm);
  const float rs = static_cast<float>(1.0 / sqrt(v / static_cast<double>(cols) + eps));
  const float mf = static_cast<float>(m);
  if (mean && threadIdx.x == 0) {
    mean[r] = mf;
    rstd[r] = rs;
  }
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = (xr[j] - mf) * rs * g[j] + b[j];
}

// Forward: y = xhat * gamma + beta, xhat = (x - mean) * rstd; so dxhat = dy * gamma and
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
__global__ void ln_dx_kernel(const float* dy, const float* x, const float* g, const float* mean,
                             const float* rstd, float* dx, int64_t cols) {
  __shared__ double sm[32];
  const int64_t r = blockIdx.x;
  const float* xr = x + r * cols;
  const float* dyr = dy + r * cols;
  float* dxr = dx + r * cols;
  const float m = mean[r], rs = rstd[r];
  double s1 = 0, s2 = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float xh = (xr[j] - m) * rs, dxh = dyr[j] * g[j];
    s1 += dxh;
    s2 += static_cast<double>(dxh) * xh;
  }
  const float a = static_cast<float>(block_sum(s1, sm) / static_cast<double>(cols));
  const float bb = static_cast<float>(block_sum(s2, sm) / static_cast<double>(cols));
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float xh = (xr[j] - m) * rs;
    dxr[j] = rs * (dyr[j] * g[j] - a - xh * bb);
  }
}

// partials[blk][j] for gamma (first half) and beta (second half). Reads dy before dx may
// overwrite it: this kernel runs first.
__global__ void ln_param_partial_kernel(const float* dy, const float* x, const float* mean,
                                        const float* rstd, float* pg, float* pb, int64_t rows,
                                        int64_t cols) {
  const int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (j >= cols) return;
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  for (int64_t blk = blockIdx.y; blk < blocks; blk += gridDim.y) {
    float ag = 0.f, ab = 0.f;
    const int64_t r1 = (blk + 1) * kRowBlock < rows ? (blk + 1) * kRowBlock : rows;
    for (int64_t r = blk * kRowBlock; r < r1; ++r) {
      const float d = dy[r * cols + j];
      ag += d * ((x[r * cols + j] - mean[r]) * rstd[r]);
      ab += d;
    }
    pg[blk * cols + j] = ag;
    pb[blk * cols + j] = ab;
  }
}

__global__ void ln_param_sum_kernel(const float* pg, const float* pb, float* dg, float* db,
                                    int64_t blocks, int64_t cols) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < cols;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double sg = 0, sb = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      sg += pg[b * cols + j];
      sb += pb[b * cols + j];
    }
    dg[j] += static_cast<float>(sg);
    db[j] += static_cast<float>(sb);
  }
}

}  // namespace

int64_t layer_norm_row_blocks(int64_t rows) { return (rows + kRowBlock - 1) / kRowBlock; }

void launch_layer_norm_forward(const float* x, const float* gamma, const float* beta, float eps,
                               float* y, float* mean, float* rstd, int64_t rows, int64_t cols,
                               int device, void* stream) {
  if (rows == 0 || cols == 0) return;
  cudaSetDevice(device);
  ln_forward_kernel<<<row_blocks(rows), row_threads(cols), 0, static_cast<cudaStream_t>(stream)>>>(
      x, gamma, beta, eps, y, mean, rstd, cols);
  check_launch("layer_norm_forward");
}

void launch_layer_norm_backward(const float* dy, const float* x, const float* gamma,
                                const float* mean, const float* rstd, float* dx, float* dgamma,
                                float* dbeta, float* partials, int64_t rows, int64_t cols,
                                int device, void* stream) {
  if (rows == 0 || cols == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const int64_t nb = layer_norm_row_blocks(rows);
  float* pg = partials;
  float* pb = partials + nb * cols;
  dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads),
            static_cast<unsigned>(nb < 65535 ? nb : 65535));
  ln_param_partial_kernel<<<grid, kThreads, 0, s>>>(dy, x, mean, rstd, pg, pb, rows, cols);
  check_launch("layer_norm_backward (parameter partials)");
  ln_param_sum_kernel<<<blocks_for(cols), kThreads, 0, s>>>(pg, pb, dgamma, dbeta, nb, cols);
  check_launch("layer_norm_backward (parameter sums)");
  ln_dx_kernel<<<row_blocks(rows), row_threads(cols), 0, s>>>(dy, x, gamma, mean, rstd, dx, cols);
  check_launch("layer_norm_backward (dx)");
}

}  // namespace moemt::kernels
