// MoE load-balancing losses as ops: importance and load (Shazeer et al. 2017, squared
// coefficients of variation), the Switch/GShard auxiliary loss and the ST-MoE router z-loss,
// per expert group and averaged with token-share weights. Values stay in a device tensor.
#pragma once

#include "core/tensor.h"
#include "ops/router_gate.h"

namespace moemt::ops {

// Coefficients; a loss whose coefficient is 0 is skipped in both directions (value 0).
struct BalanceCoefs {
  double importance = 0, load = 0, switch_aux = 0, z = 0;
  bool any() const { return importance > 0 || load > 0 || switch_aux > 0 || z > 0; }
};

// Slots of the values tensor (4) f32: the unweighted losses, each what its coefficient
// multiplies.
enum BalanceSlot : int { kImportance = 0, kLoad = 1, kSwitch = 2, kZ = 3, kNumBalanceLosses = 4 };

// t holds a router level's forward (router_gate_forward). Writes values (4) and, when aux_sum
// (1) f32 is defined, adds the weighted sum of the values into it. The load loss needs
// o.ktop == min(k + 1, E) and noise; without noise its value is 0.
void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum);

// Adds scale * coef * d(loss)/d(input) into g: dgate (importance), dprobs (switch), dh (load,
// z), dclean and dstd (load). Tensors of g that no enabled loss writes may be undefined.
void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g);

namespace cpu {
void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum);
void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g);
}  // namespace cpu
namespace cuda {
void balance_loss_forward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                          Tensor& values, Tensor& aux_sum);
void balance_loss_backward(const RouterGateOptions& o, const BalanceCoefs& c, const GateTensors& t,
                           double scale, GateGrads& g);
}  // namespace cuda

}  // namespace moemt::ops
