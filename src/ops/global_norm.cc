// Entry point of the global norm op.
#include "ops/global_norm.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "global_norm.cuh"
#include "reduce.cuh"
#endif

namespace moemt::ops {

void global_norm_sq(const Tensor& g, Tensor& out) {
  const Device dev = compute_device("global_norm_sq", kF32Only, g);
  expect_dtype("global_norm_sq", "out", out, DType::f64);
  MOEMT_CHECK(out.numel() == 1, "global_norm_sq: out is {}, expected one f64", out.shape().str());
  same_device(g, out);
  MOEMT_DISPATCH(dev, global_norm_sq, g, out);
}

#if defined(MOEMT_OP_HAS_CUDA)
// The sum stays on the device: out is read by the trainer when it needs the norm.
namespace cuda {
void global_norm_sq(const Tensor& g, Tensor& out) {
  Tensor partials = Tensor::empty({kernels::reduce_partials(g.numel())}, DType::f64, g.device());
  kernels::launch_global_norm_sq(g.data<float>(), g.numel(), partials.data<double>(),
                                 out.data<double>(), g.device().index,
                                 current_stream(g.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
