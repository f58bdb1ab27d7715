// Entry point of the moving-average op: checks and dispatch.
#include "ops/ema.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "ema.cuh"
#endif

namespace moemt::ops {

void ema_update(Tensor& avg, const Tensor& param, float decay) {
  const Device dev = compute_device("ema_update", kF32Only, avg, param);
  MOEMT_CHECK(avg.numel() == param.numel(), "ema_update: avg {} param {} (one numel)",
              avg.shape().str(), param.shape().str());
  MOEMT_CHECK(decay >= 0.f && decay <= 1.f, "ema_update: decay {} outside [0, 1]", decay);
  MOEMT_DISPATCH(dev, ema_update, avg, param, decay);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void ema_update(Tensor& avg, const Tensor& param, float decay) {
  kernels::launch_ema_update(avg.data<float>(), param.data<float>(), avg.numel(), decay,
                             avg.device().index, current_stream(avg.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
