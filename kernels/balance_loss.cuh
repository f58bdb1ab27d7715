// Raw-pointer launchers of the MoE balancing losses (ops/balance_loss.h).
#pragma once

#include <cstdint>

namespace moemt::kernels {

struct BalanceArgs {
  int64_t n;
  int e, eg, k, ktop, groups;
  double importance, load, switch_aux, z;  // coefficients; 0 = skipped
  bool noisy;
};

// The router forward's tensors (noise_std null without noise).
struct BalanceInputs {
  const int32_t* group;  // (n)
  const int32_t* top;    // (n, ktop)
  const float* h;        // (n, e)
  const float* probs;
  const float* clean;
  const float* noise_std;
  const float* gate;  // (n, k)
};

// Doubles of scratch the launchers need.
int64_t balance_scratch(const BalanceArgs& a);

// values (4) f32 = the unweighted losses; aux_sum (1) f32 += their weighted sum, when not null.
void launch_balance_forward(const BalanceArgs& a, const BalanceInputs& in, float* values,
                            float* aux_sum, double* scratch, int device, void* stream);

// Adds scale * coef * gradients into dgate, dprobs, dh, dclean, dstd (null where no enabled
// loss writes), in the CPU's order per element.
struct BalanceGrads {
  float *dgate, *dprobs, *dh, *dclean, *dstd;
};
void launch_balance_backward(const BalanceArgs& a, const BalanceInputs& in, double scale,
                             BalanceGrads g, double* scratch, int device, void* stream);

}  // namespace moemt::kernels
