// Load-balancing losses of an MoE router and their gradients: importance and load (Shazeer et
// al. 2017, squared coefficients of variation), the Switch/GShard auxiliary loss and the
// ST-MoE router z-loss. Computed per expert group and averaged with token-share weights, so
// hierarchical routing balances experts inside each group.
#pragma once

#include <cstdint>
#include <vector>

namespace moemt::moe {

struct BalanceCoefs {
  double importance = 0, load = 0, switch_aux = 0, z = 0;
  bool any() const { return importance > 0 || load > 0 || switch_aux > 0 || z > 0; }
};

// The unweighted loss values (each is what its coefficient multiplies).
struct BalanceValues {
  double importance = 0, load = 0, switch_aux = 0, z = 0;
  double weighted(const BalanceCoefs& c) const {
    return c.importance * importance + c.load * load + c.switch_aux * switch_aux + c.z * z;
  }
};

// One router level's forward state, host arrays, row-major (n, e) unless noted. Experts of
// group g are [g*eg, (g+1)*eg); a token only has candidates inside its group.
struct GateView {
  int64_t n = 0;
  int e = 0, eg = 0, k = 0;
  const int32_t* group = nullptr;     // (n) token's group, -1 = padding (ignored everywhere)
  const double* h = nullptr;          // logits fed to the softmax (noisy in training)
  const double* p = nullptr;          // softmax of h over the candidates, 0 elsewhere
  const double* clean = nullptr;      // x Wg; only read by the load loss
  const double* noise_std = nullptr;  // (n, e) noise std; null when there is no noise
  const int32_t* top = nullptr;       // (n, ktop) indices of h, largest first
  int ktop = 0;                       // k, or k + 1 when the load loss is on
  const double* gate = nullptr;       // (n, k) gate of each choice
};

// Gradients the losses add (+=) into, sized by the caller: dgate (n*k), dp, dh, dclean, dstd
// (n*e each).
struct BalanceGrads {
  std::vector<double> dgate, dp, dh, dclean, dstd;
};

// Returns the loss values. When grads is not null, adds scale * coef * d(loss)/d(input) into it
// (losses whose coefficient is 0 are skipped entirely, in both directions).
BalanceValues balance_losses(const GateView& v, const BalanceCoefs& c, BalanceGrads* grads,
                             double scale);

// Squared coefficient of variation over m values (population variance, as in Shazeer et al.'s
// code) and, when d is not null, its gradient times scale added into d.
double cv_squared(const double* x, int m, double* d, double scale);

}  // namespace moemt::moe
