// Entry point of the global norm op.
#include "ops/global_norm.h"

#include "ops/dispatch.h"

namespace moemt::ops {

void global_norm_sq(const Tensor& g, Tensor& out) {
  MOEMT_CHECK(g.dtype() == DType::f32, "global_norm_sq: g is {}, expected f32",
              dtype_name(g.dtype()));
  MOEMT_CHECK(out.dtype() == DType::f64 && out.numel() == 1,
              "global_norm_sq: out is {} {}, expected one f64", dtype_name(out.dtype()),
              out.shape().str());
  MOEMT_DISPATCH(same_device(g, out), global_norm_sq, g, out);
}

}  // namespace moemt::ops
