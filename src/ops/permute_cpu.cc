// CPU permutation ops. All loops run over tokens: a token owns its k slots and each buffer row
// belongs to exactly one slot, so no two threads write the same row and results do not depend
// on the thread count (no atomics, fixed summation order).
#include <cstring>

#include "ops/permute.h"

namespace moemt::ops::cpu {

namespace {
const float* weights_or_null(const Tensor& w) {
  return w.defined() && w.numel() > 0 ? w.data<float>() : nullptr;
}
}  // namespace

void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out) {
  int64_t n = slot_row.size(0), k = slot_row.size(1), d = x.shape().cols();
  const float* px = x.data<float>();
  const int32_t* ps = slot_row.data<int32_t>();
  const float* pw = weights_or_null(w);
  float* po = out.data<float>();
#pragma omp parallel for schedule(static) if (n * d > 32768)
  for (int64_t t = 0; t < n; ++t) {
    const float* src = px + t * d;
    for (int64_t j = 0; j < k; ++j) {
      int32_t r = ps[t * k + j];
      if (r < 0) continue;
      float* dst = po + static_cast<int64_t>(r) * d;
      if (pw == nullptr) {
        std::memcpy(dst, src, sizeof(float) * d);
      } else {
        float a = pw[t * k + j];
        for (int64_t c = 0; c < d; ++c) dst[c] = a * src[c];
      }
    }
  }
}

void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta) {
  int64_t n = slot_row.size(0), k = slot_row.size(1), d = y.shape().cols();
  const float* py = y.data<float>();
  const int32_t* ps = slot_row.data<int32_t>();
  const float* pw = weights_or_null(w);
  float* po = out.data<float>();
#pragma omp parallel for schedule(static) if (n * d > 32768)
  for (int64_t t = 0; t < n; ++t) {
    float* dst = po + t * d;
    if (beta == 0.f) {
      std::memset(dst, 0, sizeof(float) * d);
    } else if (beta != 1.f) {
      for (int64_t c = 0; c < d; ++c) dst[c] *= beta;
    }
    for (int64_t j = 0; j < k; ++j) {
      int32_t r = ps[t * k + j];
      if (r < 0) continue;
      const float* src = py + static_cast<int64_t>(r) * d;
      float a = pw ? pw[t * k + j] : 1.f;
      for (int64_t c = 0; c < d; ++c) dst[c] += a * src[c];
    }
  }
}

void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw) {
  int64_t n = slot_row.size(0), k = slot_row.size(1), d = y.shape().cols();
  const float* pg = dout.data<float>();
  const float* py = y.data<float>();
  const int32_t* ps = slot_row.data<int32_t>();
  float* pw = dw.data<float>();
#pragma omp parallel for schedule(static) if (n * d > 32768)
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t j = 0; j < k; ++j) {
      int32_t r = ps[t * k + j];
      double s = 0;
      if (r >= 0) {
        const float* a = pg + t * d;
        const float* b = py + static_cast<int64_t>(r) * d;
        for (int64_t c = 0; c < d; ++c) s += static_cast<double>(a[c]) * b[c];
      }
      pw[t * k + j] = static_cast<float>(s);
    }
  }
}

}  // namespace moemt::ops::cpu
