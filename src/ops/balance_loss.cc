// Entry points of the balancing-loss ops: shape checks, then device dispatch.
#include "ops/balance_loss.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
void check_forward_state(const RouterGateOptions& o, const GateTensors& t) {
  const int64_t n = t.clean.size(0), e = t.clean.size(1);
  MOEMT_CHECK(t.clean.rank() == 2 && e % o.num_groups == 0, "balance loss logits {} for {} groups",
              t.clean.shape().str(), o.num_groups);
  MOEMT_CHECK(t.group.numel() == n && t.h.shape() == t.clean.shape() &&
                  t.probs.shape() == t.clean.shape() && t.top.numel() == n * o.ktop &&
                  t.gate.numel() == n * o.k,
              "balance loss needs the router forward's tensors (h {}, probs {}, top {}, gate {})",
              t.h.shape().str(), t.probs.shape().str(), t.top.shape().str(), t.gate.shape().str());
  same_device(t.clean, t.group, t.h, t.probs, t.top, t.gate);
}
}  // namespace

void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum) {
  check_forward_state(o, t);
  MOEMT_CHECK(values.numel() == kNumBalanceLosses && values.dtype() == DType::f32,
              "balance loss values {}", values.shape().str());
  if (aux_sum.defined()) {
    MOEMT_CHECK(aux_sum.numel() == 1 && aux_sum.dtype() == DType::f32, "aux loss sum {}",
                aux_sum.shape().str());
    same_device(values, aux_sum);
  }
  MOEMT_DISPATCH(same_device(t.clean, values), balance_loss_forward, o, c, t, values, aux_sum);
}

void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g) {
  check_forward_state(o, t);
  const Shape ne = t.clean.shape();
  MOEMT_CHECK(g.dgate.numel() == t.gate.numel() && g.dprobs.shape() == ne && g.dh.shape() == ne &&
                  g.dclean.shape() == ne && (!t.noisy() || g.dstd.shape() == ne),
              "balance loss gradients for logits {}", ne.str());
  MOEMT_DISPATCH(same_device(t.clean, g.dgate, g.dprobs, g.dh, g.dclean), balance_loss_backward, o,
                 c, t, scale, g);
}

}  // namespace moemt::ops
