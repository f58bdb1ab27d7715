// Entry point of accumulate_f64: checks, then device dispatch.
#include "ops/accumulate.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "accumulate.cuh"
#endif

namespace moemt::ops {

void accumulate_f64(Tensor& acc, const Tensor& x, double scale) {
  // x is the compute tensor (f32, or f64 sums); acc is always f64.
  constexpr uint32_t kBits = dtype_bit(DType::f32) | dtype_bit(DType::f64);
  compute_device("accumulate_f64", DTypeSupport{kBits, kBits}, x);
  expect_dtype("accumulate_f64", "acc", acc, DType::f64);
  MOEMT_CHECK(acc.numel() == x.numel(), "accumulate_f64: acc {} x {}", acc.shape().str(),
              x.shape().str());
  if (acc.numel() == 0) return;
  MOEMT_DISPATCH(same_device(x, acc), accumulate_f64, acc, x, scale);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void accumulate_f64(Tensor& acc, const Tensor& x, double scale) {
  const bool f64 = x.dtype() == DType::f64;
  kernels::launch_accumulate_f64(acc.data<double>(), f64 ? nullptr : x.data<float>(),
                                 f64 ? x.data<double>() : nullptr, acc.numel(), scale,
                                 acc.device().index, current_stream(acc.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
