// Entry point of the cast op: dtype checks, then device dispatch (kernels/cast.cu on CUDA).
#include "ops/cast.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "cast.cuh"
#endif

namespace moemt::ops {

namespace {
bool floating(DType t) { return t == DType::f32 || t == DType::bf16 || t == DType::f16; }
}  // namespace

void cast(const Tensor& x, Tensor& y) {
  MOEMT_CHECK(floating(x.dtype()) && floating(y.dtype()), "cast {} -> {}: floating types only",
              dtype_name(x.dtype()), dtype_name(y.dtype()));
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
