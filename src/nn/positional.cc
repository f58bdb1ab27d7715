// Sinusoidal positional encodings: a table per device, computed there by an op and grown
// lazily; adding it is a bias add over the flattened (T*D) columns.
#include "nn/positional.h"

#include <algorithm>

#include "ops/elementwise.h"
#include "ops/positional.h"

namespace moemt::nn {

PositionalEncoding::PositionalEncoding(int64_t dim) : dim_(dim) {
  MOEMT_CHECK(dim > 0, "PositionalEncoding needs a positive dim");
}

const Tensor& PositionalEncoding::ensure(int64_t len, Device device) {
  auto it = std::find_if(tables_.begin(), tables_.end(),
                         [&](const Tensor& t) { return t.device() == device; });
  if (it != tables_.end() && it->size(0) >= len) return *it;
  const int64_t have = it == tables_.end() ? 0 : it->size(0);
  const int64_t n = std::max({len, 2 * have, kInitialPositions});
  // Views handed out earlier keep the old table alive; new calls see the larger one.
  Tensor t = Tensor::empty({n, dim_}, DType::f32, device);
  ops::sinusoidal_positions(t, 0);
  if (it == tables_.end()) return tables_.emplace_back(std::move(t));
  *it = std::move(t);
  return *it;
}

Tensor PositionalEncoding::table(int64_t start, int64_t len, Device device) {
  MOEMT_CHECK(start >= 0 && len >= 0, "positional table({}, {})", start, len);
  return ensure(start + len, device).narrow(start, len);
}

// x (..., T, D) -> x + PE[start:start+T], in place.
void PositionalEncoding::add_inplace(Tensor& x, int64_t start) {
  MOEMT_CHECK(x.rank() >= 2 && x.size(-1) == dim_, "PositionalEncoding: input {} for dim {}",
              x.shape().str(), dim_);
  if (x.numel() == 0) return;
  int64_t t = x.size(-2), lead = x.numel() / (t * dim_);
  Tensor pe = table(start, t, x.device());
  Tensor x3 = x.reshape({lead, t * dim_});
  // The (T*D) table rows added to every leading row, as a bias over the flattened columns.
  ops::add_bias(x3, pe.reshape({t * dim_}));
}

// x (..., T, D) -> y (..., T, D) = x + PE.
Tensor PositionalEncoding::forward(Ctx& ctx, const Tensor& x, int64_t start) {
  Tensor y = x.clone();
  add_inplace(y, start);
  return y;
}

}  // namespace moemt::nn
