// CPU head permutations: contiguous dh-long runs copied with memcpy, OpenMP over (b, t).
#include <cstring>

#include "ops/heads.h"

namespace moemt::ops::cpu {

void split_heads(const Tensor& x, int64_t heads, Tensor& y) {
  const int64_t nb = x.size(0), t = x.size(1), d = x.size(2), dh = d / heads;
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > 65536)
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t h = 0; h < heads; ++h)
        std::memcpy(py + ((b * heads + h) * t + i) * dh, px + (b * t + i) * d + h * dh,
                    dh * sizeof(float));
}

void merge_heads(const Tensor& x, Tensor& y) {
  const int64_t nb = x.size(0), heads = x.size(1), t = x.size(2), dh = x.size(3);
  const int64_t d = heads * dh;
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > 65536)
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t h = 0; h < heads; ++h)
        std::memcpy(py + (b * t + i) * d + h * dh, px + ((b * heads + h) * t + i) * dh,
                    dh * sizeof(float));
}

void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y) {
  // Per (batch item, head) the time steps of a then of b are contiguous blocks.
  const int64_t rows = b.size(0), heads = a.size(1), old_rows = a.size(0);
  const int64_t na = a.size(2) * a.size(3), nb = b.size(2) * b.size(3);
  const int32_t* src = a_rows.defined() ? a_rows.data<int32_t>() : nullptr;
  if (src)
    for (int64_t r = 0; r < rows; ++r)
      MOEMT_CHECK(src[r] >= 0 && src[r] < old_rows, "concat_time row {} outside [0, {})", src[r],
                  old_rows);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for schedule(static) if (y.numel() > 65536)
  for (int64_t i = 0; i < rows * heads; ++i) {
    const int64_t r = i / heads, h = i % heads;
    const int64_t from = (src ? src[r] : r) * heads + h;
    std::memcpy(py + i * (na + nb), pa + from * na, na * sizeof(float));
    std::memcpy(py + i * (na + nb) + na, pb + i * nb, nb * sizeof(float));
  }
}

}  // namespace moemt::ops::cpu
