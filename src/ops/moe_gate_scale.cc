// Entry points of the gate-product ops: shape checks, then device dispatch.
#include "ops/moe_gate_scale.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "moe_gate_scale.cuh"
#endif

namespace moemt::ops {

namespace {
void check_numel(const Tensor& t, int64_t numel, const char* what) {
  MOEMT_CHECK(t.numel() == numel, "gate product {} is {}, wants {} elements", what, t.shape().str(),
              numel);
}
}  // namespace

void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out) {
  const Device dev = compute_device("moe_gate_scale", kF32Only, gate, scale, out);
  MOEMT_CHECK(gate.rank() == 2, "gates {} are not (N, k)", gate.shape().str());
  check_numel(scale, gate.size(0), "scale");
  check_numel(out, gate.numel(), "out");
  MOEMT_DISPATCH(dev, moe_gate_scale, gate, scale, out);
}

void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale) {
  const Device dev =
      compute_device("moe_gate_scale_backward", kF32Only, dout, gate, scale, dgate, dscale);
  MOEMT_CHECK(gate.rank() == 2, "gates {} are not (N, k)", gate.shape().str());
  check_numel(dout, gate.numel(), "dout");
  check_numel(scale, gate.size(0), "scale");
  check_numel(dgate, gate.numel(), "dgate");
  check_numel(dscale, gate.size(0), "dscale");
  MOEMT_DISPATCH(dev, moe_gate_scale_backward, dout, gate, scale, dgate, dscale);
}

#if defined(MOEMT_OP_HAS_CUDA)
namespace cuda {
void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out) {
  kernels::launch_moe_gate_scale(gate.data<float>(), scale.data<float>(), out.data<float>(),
                                 gate.size(0), gate.size(1), gate.device().index,
                                 current_stream(gate.device()).handle);
}
void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale) {
  kernels::launch_moe_gate_scale_backward(dout.data<float>(), gate.data<float>(),
                                          scale.data<float>(), dgate.data<float>(),
                                          dscale.data<float>(), gate.size(0), gate.size(1),
                                          gate.device().index,
                                          current_stream(gate.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
