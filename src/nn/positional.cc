// Sinusoidal positional encodings with a lazily grown host table.
#include "nn/positional.h"

#include <algorithm>
#include <cmath>

#include "ops/elementwise.h"

namespace moemt::nn {

PositionalEncoding::PositionalEncoding(int64_t dim) : dim_(dim) {
  MOEMT_CHECK(dim > 0, "PositionalEncoding needs a positive dim");
  ensure(kInitialPositions);
}

void PositionalEncoding::ensure(int64_t len) {
  if (len <= cached_len_) return;
  int64_t n = std::max<int64_t>(len, 2 * cached_len_);
  cache_.assign(static_cast<size_t>(n * dim_), 0.f);
  int64_t half = dim_ / 2;
  double inc = half > 1 ? std::log(10000.0) / static_cast<double>(half - 1) : 0.0;
  for (int64_t pos = 0; pos < n; ++pos) {
    float* row = cache_.data() + pos * dim_;
    for (int64_t i = 0; i < half; ++i) {
      double a = static_cast<double>(pos) * std::exp(-inc * static_cast<double>(i));
      row[i] = static_cast<float>(std::sin(a));
      row[half + i] = static_cast<float>(std::cos(a));
    }
  }
  cached_len_ = n;
}

Tensor PositionalEncoding::table(int64_t start, int64_t len) {
  MOEMT_CHECK(start >= 0 && len >= 0, "positional table({}, {})", start, len);
  ensure(start + len);
  Tensor t = Tensor::empty({len, dim_});
  std::copy(cache_.begin() + start * dim_, cache_.begin() + (start + len) * dim_, t.data<float>());
  return t;
}

// x (..., T, D) -> x + PE[start:start+T], in place.
void PositionalEncoding::add_inplace(Tensor& x, int64_t start) {
  MOEMT_CHECK(x.rank() >= 2 && x.size(-1) == dim_, "PositionalEncoding: input {} for dim {}",
              x.shape().str(), dim_);
  if (x.numel() == 0) return;
  int64_t t = x.size(-2), lead = x.numel() / (t * dim_);
  Tensor pe = table(start, t);
  if (!x.device().is_cpu()) pe = pe.to(x.device());
  Tensor x3 = x.reshape({lead, t * dim_});
  // The (T*D) table added to every leading row, as a bias over the flattened (T*D) columns.
  ops::add_bias(x3, pe.reshape({t * dim_}));
}

// x (..., T, D) -> y (..., T, D) = x + PE.
Tensor PositionalEncoding::forward(Ctx& ctx, const Tensor& x, int64_t start) {
  Tensor y = x.clone();
  add_inplace(y, start);
  return y;
}

}  // namespace moemt::nn
