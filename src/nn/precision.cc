// Mixed-precision helpers: activation casts and the refresh of the store's compute copy.
#include "nn/precision.h"

#include "ops/cast.h"

namespace moemt::nn {

Tensor in_dtype(const Tensor& x, DType t) {
  if (x.dtype() == t) return x;
  Tensor y = Tensor::empty(x.shape(), t, x.device());
  ops::cast(x, y);
  return y;
}

void set_compute_precision(ParamStore& store, DType t) {
  store.set_compute_dtype(t);
  refresh_compute_copy(store);
}

void refresh_compute_copy(ParamStore& store) {
  if (!store.compute_values().defined()) return;
  if (store.has_flat_buffers()) {
    Tensor copy = store.compute_values();
    ops::cast(store.values(), copy);
    return;
  }
  for (int id = 0; id < store.size(); ++id) {
    Tensor c = store.compute_value(id);
    ops::cast(store.value(id), c);
  }
}

}  // namespace moemt::nn
