// CPU LSTM cell, rows in parallel; the formulas are ops/math/lstm.h.
#include "ops/lstm_cell.h"
#include "ops/math/lstm.h"

namespace moemt::ops::cpu {

void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y) {
  const int64_t rows = gx.size(0), h = gx.size(1) / 4;
  const float* px = gx.data<float>();
  const float* ph = gh.data<float>();
  const float* php = h_prev.data<float>();
  const float* pcp = c_prev.data<float>();
  const int32_t* len = lengths.defined() ? lengths.data<int32_t>() : nullptr;
  float* pa = acts.data<float>();
  float* phn = h_next.data<float>();
  float* pcn = c_next.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for schedule(static) if (rows * h > (1 << 14))
  for (int64_t b = 0; b < rows; ++b) {
    const float* x = px + b * 4 * h;
    const float* r = ph + b * 4 * h;
    float* a = pa + b * 4 * h;
    const int64_t s = b * h;
    if (len && t >= len[b]) {
      for (int64_t j = 0; j < h; ++j) {
        phn[s + j] = php[s + j];
        pcn[s + j] = pcp[s + j];
        py[s + j] = 0.f;
      }
      for (int64_t j = 0; j < 4 * h; ++j) a[j] = 0.f;
      continue;
    }
    for (int64_t j = 0; j < h; ++j) {
      float hv;
      math::lstm_cell(x[j] + r[j], x[h + j] + r[h + j], x[2 * h + j] + r[2 * h + j],
                      x[3 * h + j] + r[3 * h + j], pcp[s + j], a[j], a[h + j], a[2 * h + j],
                      a[3 * h + j], pcn[s + j], hv);
      phn[s + j] = hv;
      py[s + j] = hv;
    }
  }
}

void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev) {
  const int64_t rows = acts.size(0), h = acts.size(1) / 4;
  const float* pdy = dy.data<float>();
  const float* pdhn = dh_next.data<float>();
  const float* pdcn = dc_next.data<float>();
  const float* pa = acts.data<float>();
  const float* pcp = c_prev.data<float>();
  const float* pcn = c_next.data<float>();
  const int32_t* len = lengths.defined() ? lengths.data<int32_t>() : nullptr;
  float* pdg = dgates.data<float>();
  float* pdhp = dh_prev.data<float>();
  float* pdcp = dc_prev.data<float>();
#pragma omp parallel for schedule(static) if (rows * h > (1 << 14))
  for (int64_t b = 0; b < rows; ++b) {
    const float* a = pa + b * 4 * h;
    float* dg = pdg + b * 4 * h;
    const int64_t s = b * h;
    if (len && t >= len[b]) {
      // The forward copied the state through and output 0: the state gradient passes through.
      for (int64_t j = 0; j < h; ++j) {
        pdhp[s + j] = pdhn[s + j];
        pdcp[s + j] = pdcn[s + j];
      }
      for (int64_t j = 0; j < 4 * h; ++j) dg[j] = 0.f;
      continue;
    }
    for (int64_t j = 0; j < h; ++j) {
      // In the forward y = h_next = h, so dh = dy + dh_next.
      const float dh = pdy[s + j] + pdhn[s + j];
      float dcp;
      math::lstm_cell_backward(a[j], a[h + j], a[2 * h + j], a[3 * h + j], pcp[s + j], pcn[s + j],
                               dh, pdcn[s + j], dg[j], dg[h + j], dg[2 * h + j], dg[3 * h + j],
                               dcp);
      pdcp[s + j] = dcp;
      pdhp[s + j] = 0.f;  // the recurrent term dgates · Uᵀ is the caller's GEMM
    }
  }
}

}  // namespace moemt::ops::cpu
