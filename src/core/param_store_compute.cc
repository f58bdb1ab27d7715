// ParamStore's compute copy for mixed precision: the 16-bit twin of the flat value buffer that
// GEMMs read. Filled by nn::refresh_compute_copy; this file only lays it out.
#include "core/param_store.h"

namespace moemt {

Tensor Param::wc() const { return store->compute_value(id); }

void ParamStore::set_compute_dtype(DType t) {
  MOEMT_CHECK(finalized_, "ParamStore::set_compute_dtype before finalize");
  MOEMT_CHECK(t == DType::f32 || t == DType::bf16 || t == DType::f16,
              "compute dtype {} (f32, bf16 or f16)", dtype_name(t));
  if (t == DType::f32) {
    compute_ = Tensor();
    return;
  }
  if (compute_.defined() && compute_.dtype() == t) return;
  // Laid out as the flat buffer (a store of views has the same offsets), so one cast of the
  // whole buffer refreshes it.
  compute_ = Tensor::empty({total_}, t, device_);
}

Tensor ParamStore::compute_value(int id) const {
  if (!compute_.defined()) return value(id);
  const ParamInfo& p = params_.at(id);
  MOEMT_CHECK(!p.remote, "{} is held by another rank (expert parallelism)", p.name);
  return compute_.narrow(p.offset, p.shape.numel()).reshape(p.shape);
}

}  // namespace moemt
