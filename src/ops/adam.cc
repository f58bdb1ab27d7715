// Entry point of the Adam op: checks, the step's constants (on the host, once), dispatch.
#include "ops/adam.h"

#include <initializer_list>

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "adam.cuh"
#endif

namespace moemt::ops {

void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamStepArgs& a) {
  const Device dev = compute_device("adam_step", kF32Only, param, grad, m, v);
  for (const Tensor* t : std::initializer_list<const Tensor*>{&param, &grad, &m, &v})
    MOEMT_CHECK(t->numel() == param.numel(), "adam_step: param {} grad {} m {} v {} (one numel)",
                param.shape().str(), grad.shape().str(), m.shape().str(), v.shape().str());
  MOEMT_CHECK(a.step >= 1, "adam_step: step {} (1-based)", a.step);
  const math::AdamCoeffs c =
      math::adam_coeffs(a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.step, a.grad_scale);
  MOEMT_DISPATCH(dev, adam_step, param, grad, m, v, c);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamCoeffs& c) {
  kernels::launch_adam_step(param.data<float>(), grad.data<float>(), m.data<float>(),
                            v.data<float>(), param.numel(), c, param.device().index,
                            current_stream(param.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
