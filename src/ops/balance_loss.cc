// Entry points of the balancing-loss ops: shape checks, then device dispatch.
#include "ops/balance_loss.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "balance_loss.cuh"
#endif

namespace moemt::ops {

namespace {
Device check_forward_state(const char* op, const RouterGateOptions& o, const GateTensors& t) {
  const Device dev = t.noisy()
                         ? compute_device(op, kF32Only, t.clean, t.h, t.probs, t.gate, t.noise_std)
                         : compute_device(op, kF32Only, t.clean, t.h, t.probs, t.gate);
  expect_dtype(op, "groups", t.group, DType::i32);
  expect_dtype(op, "top", t.top, DType::i32);
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  MOEMT_CHECK(t.clean.rank() == 2 && e % o.num_groups == 0, "balance loss logits {} for {} groups",
              t.clean.shape().str(), o.num_groups);
  MOEMT_CHECK(t.group.numel() == n && t.h.shape() == t.clean.shape() &&
                  t.probs.shape() == t.clean.shape() && t.top.numel() == n * o.ktop &&
                  t.gate.numel() == n * o.k,
              "balance loss needs the router forward's tensors (h {}, probs {}, top {}, gate {})",
              t.h.shape().str(), t.probs.shape().str(), t.top.shape().str(), t.gate.shape().str());
  same_device(t.clean, t.group, t.h, t.probs, t.top, t.gate);
  if (t.noisy())
    MOEMT_CHECK(t.noise_std.shape() == t.clean.shape(), "balance loss noise std {}",
                t.noise_std.shape().str());
  return dev;
}
}  // namespace

void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum) {
  const char* op = "balance_loss_forward";
  const Device dev = check_forward_state(op, o, t);
  compute_device(op, kF32Only, t.clean, values);
  MOEMT_CHECK(values.numel() == kNumBalanceLosses, "balance loss values {}", values.shape().str());
  if (aux_sum.defined()) {
    compute_device(op, kF32Only, t.clean, aux_sum);
    MOEMT_CHECK(aux_sum.numel() == 1, "aux loss sum {}", aux_sum.shape().str());
  }
  MOEMT_DISPATCH(dev, balance_loss_forward, o, c, t, values, aux_sum);
}

void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g) {
  const char* op = "balance_loss_backward";
  const Device dev = check_forward_state(op, o, t);
  const Shape ne = t.clean.shape();
  const bool load = c.load > 0 && t.noisy();
  auto need = [&](const Tensor& x, bool needed, const Shape& shape, const char* what) {
    if (!needed && !(x.defined() && x.numel() > 0)) return;
    MOEMT_CHECK(x.defined(), "balance loss gradient {} missing", what);
    compute_device(op, kF32Only, t.clean, x);
    MOEMT_CHECK(x.shape() == shape, "balance loss gradient {} is {}, wants {}", what,
                x.shape().str(), shape.str());
  };
  need(g.dgate, true, t.gate.shape(), "dgate");
  need(g.dprobs, c.switch_aux > 0, ne, "dprobs");
  need(g.dh, c.z > 0 || load, ne, "dh");
  need(g.dclean, load, ne, "dclean");
  need(g.dstd, load, ne, "dstd");
  MOEMT_DISPATCH(dev, balance_loss_backward, o, c, t, scale, g);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/balance_loss.cu on the device's current stream; the values
// stay on the device.
namespace cuda {
namespace {
float* or_null(const Tensor& t) { return t.defined() && t.numel() > 0 ? t.data<float>() : nullptr; }
kernels::BalanceArgs args(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t) {
  const int e = static_cast<int>(t.clean.size(1));
  return {t.clean.size(0), e, e / o.num_groups, o.k, o.ktop, o.num_groups,
          c.importance,    c.load, c.switch_aux, c.z, t.noisy()};
}
kernels::BalanceInputs inputs(const GateTensors& t) {
  return {t.group.data<int32_t>(),
          t.top.data<int32_t>(),
          t.h.data<float>(),
          t.probs.data<float>(),
          t.clean.data<float>(),
          t.noisy() ? t.noise_std.data<float>() : nullptr,
          t.gate.data<float>()};
}
}  // namespace
void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum) {
  const kernels::BalanceArgs a = args(o, c, t);
  const Device dev = t.clean.device();
  Tensor scratch = Tensor::empty({kernels::balance_scratch(a)}, DType::f64, dev);
  kernels::launch_balance_forward(a, inputs(t), values.data<float>(),
                                  aux_sum.defined() ? aux_sum.data<float>() : nullptr,
                                  scratch.data<double>(), dev.index, current_stream(dev).handle);
}
void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g) {
  if (!c.any()) return;
  const kernels::BalanceArgs a = args(o, c, t);
  const Device dev = t.clean.device();
  Tensor scratch = Tensor::empty({kernels::balance_scratch(a)}, DType::f64, dev);
  kernels::BalanceGrads d{g.dgate.data<float>(), or_null(g.dprobs), or_null(g.dh),
                          or_null(g.dclean), or_null(g.dstd)};
  kernels::launch_balance_backward(a, inputs(t), scale, d, scratch.data<double>(), dev.index,
                                   current_stream(dev).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
