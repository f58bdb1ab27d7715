// Entry point of the cast op: dtype checks, then device dispatch (kernels/cast.cu on CUDA).
#include "ops/cast.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "cast.cuh"
#endif

namespace moemt::ops {

void cast(const Tensor& x, Tensor& y) {
  // The one op that takes bf16/f16 on the CPU: it converts between the storage types.
  check_dtype("cast", x.device(), x.dtype(), kFloatStorage);
  check_dtype("cast", y.device(), y.dtype(), kFloatStorage);
  MOEMT_CHECK(x.numel() == y.numel(), "cast {} -> {}", x.shape().str(), y.shape().str());
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(same_device(x, y), cast, x, y);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void cast(const Tensor& x, Tensor& y) {
  kernels::launch_cast(x.raw(), static_cast<int>(x.dtype()), y.raw(), static_cast<int>(y.dtype()),
                       x.numel(), x.device().index, current_stream(x.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
