// CUDA LSTM step: one (row, unit) per thread with the CPU's formulas (ops/math/lstm.h). A
// thread reads and writes only its own unit's entries, so outputs may alias inputs.
#include "launch.cuh"
#include "lstm_cell.cuh"
#include "ops/math/lstm.h"

namespace moemt::kernels {

namespace {

__global__ void lstm_forward_kernel(const float* gx, const float* gh, const float* hp,
                                    const float* cp, const int32_t* len, int64_t t, float* acts,
                                    float* hn, float* cn, float* y, int64_t h, int64_t total) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = e / h, j = e % h;
    const float* x = gx + b * 4 * h;
    const float* r = gh + b * 4 * h;
    float* a = acts + b * 4 * h;
    if (len && t >= len[b]) {
      hn[e] = hp[e];
      cn[e] = cp[e];
      y[e] = 0.f;
      a[j] = a[h + j] = a[2 * h + j] = a[3 * h + j] = 0.f;
      continue;
    }
    float hv, cv;
    ops::math::lstm_cell(x[j] + r[j], x[h + j] + r[h + j], x[2 * h + j] + r[2 * h + j],
                         x[3 * h + j] + r[3 * h + j], cp[e], a[j], a[h + j], a[2 * h + j],
                         a[3 * h + j], cv, hv);
    cn[e] = cv;
    hn[e] = hv;
    y[e] = hv;
  }
}

__global__ void lstm_backward_kernel(const float* dy, const float* dhn, const float* dcn,
                                     const float* acts, const float* cp, const float* cn,
                                     const int32_t* len, int64_t t, float* dgates, float* dhp,
                                     float* dcp, int64_t h, int64_t total) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = e / h, j = e % h;
    const float* a = acts + b * 4 * h;
    float* dg = dgates + b * 4 * h;
    if (len && t >= len[b]) {
      // The forward copied the state through and output 0: the state gradient passes through.
      dhp[e] = dhn[e];
      dcp[e] = dcn[e];
      dg[j] = dg[h + j] = dg[2 * h + j] = dg[3 * h + j] = 0.f;
      continue;
    }
    const float dh = dy[e] + dhn[e];  // y = h_next = h in the forward
    float dc;
    ops::math::lstm_cell_backward(a[j], a[h + j], a[2 * h + j], a[3 * h + j], cp[e], cn[e], dh,
                                  dcn[e], dg[j], dg[h + j], dg[2 * h + j], dg[3 * h + j], dc);
    dcp[e] = dc;
    dhp[e] = 0.f;  // the recurrent term dgates · Uᵀ is the caller's GEMM
  }
}

}  // namespace

void launch_lstm_cell_forward(const float* gx, const float* gh, const float* h_prev,
                              const float* c_prev, const int32_t* lengths, int64_t t, float* acts,
                              float* h_next, float* c_next, float* y, int64_t rows, int64_t h,
                              int device, void* stream) {
  const int64_t total = rows * h;
  if (total == 0) return;
  cudaSetDevice(device);
  lstm_forward_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      gx, gh, h_prev, c_prev, lengths, t, acts, h_next, c_next, y, h, total);
  check_launch("lstm_cell_forward");
}

void launch_lstm_cell_backward(const float* dy, const float* dh_next, const float* dc_next,
                               const float* acts, const float* c_prev, const float* c_next,
                               const int32_t* lengths, int64_t t, float* dgates, float* dh_prev,
                               float* dc_prev, int64_t rows, int64_t h, int device, void* stream) {
  const int64_t total = rows * h;
  if (total == 0) return;
  cudaSetDevice(device);
  lstm_backward_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      dy, dh_next, dc_next, acts, c_prev, c_next, lengths, t, dgates, dh_prev, dc_prev, h, total);
  check_launch("lstm_cell_backward");
}

}  // namespace moemt::kernels
