// CPU reverse_sequence: one row copy per (sentence, position).
#include <algorithm>

#include "ops/reverse_sequence.h"

namespace moemt::ops::cpu {

void reverse_sequence(const Tensor& x, const Tensor& lengths, Tensor& y) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2);
  const float* px = x.data<float>();
  const int32_t* len = lengths.data<int32_t>();
  float* py = y.data<float>();
#pragma omp parallel for schedule(static) if (b * t * d > (1 << 16))
  for (int64_t i = 0; i < b; ++i) {
    const int64_t n = std::clamp<int64_t>(len[i], 0, t);
    for (int64_t s = 0; s < t; ++s) {
      float* out = py + (i * t + s) * d;
      if (s < n)
        std::copy_n(px + (i * t + (n - 1 - s)) * d, d, out);
      else
        std::fill_n(out, d, 0.f);
    }
  }
}

}  // namespace moemt::ops::cpu
