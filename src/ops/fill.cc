// Entry points of the fill ops.
#include "ops/fill.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "fill.cuh"
#endif

namespace moemt::ops {

void fill(Tensor& x, float value) {
  const Device dev = compute_device("fill", kF32Only, x);
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(dev, fill, x, value);
}

void zero(Tensor& x) {
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(x.device(), zero, x);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/fill.cu; zero is core's device memset.
namespace cuda {
void fill(Tensor& x, float value) {
  kernels::launch_fill(static_cast<float*>(x.raw()), value, x.numel(), x.device().index,
                       current_stream(x.device()).handle);
}
void zero(Tensor& x) { zero_bytes(x.raw(), x.device(), x.nbytes()); }
}  // namespace cuda
#endif

}  // namespace moemt::ops
