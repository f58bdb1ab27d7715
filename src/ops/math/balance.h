// The balancing losses' small pieces that both the CPU op (ops/balance_loss_cpu.cc) and the
// CUDA kernels (kernels/balance_loss.cu) run: the squared coefficient of variation with its
// gradient, and the load loss's z of one (token, expert). Double, raw pointers, C++17.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/host_device.h"

namespace moemt::ops::math {

constexpr double kBalanceEps = 1e-10;

// Squared coefficient of variation over m values (population variance, as in Shazeer et al.'s
// code) and, when d is not null, its gradient times scale added into d.
MOEMT_HOST_DEVICE inline double cv_squared(const double* x, int m, double* d, double scale) {
  if (m <= 1) return 0.0;
  double mean = 0;
  for (int i = 0; i < m; ++i) mean += x[i];
  mean /= m;
  double var = 0;
  for (int i = 0; i < m; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= m;
  const double den = mean * mean + kBalanceEps;
  if (d != nullptr) {
    // c = var / den: dvar/dx_i = 2 (x_i - mean) / m, dden/dx_i = 2 mean / m.
    for (int i = 0; i < m; ++i)
      d[i] += scale * (2.0 * (x[i] - mean) / m / den - var * 2.0 * mean / m / (den * den));
  }
  return var / den;
}

// z of the load loss for expert i of one token: (clean_i - kth_excluding(H, k, i)) / std_i,
// where kth_excluding(i) is the k-th largest of the other candidates, i.e. top[k] if i is among
// the top k, else top[k-1]. -inf there (fewer than k+1 candidates) means i is always kept
// (*fixed). top (ktop), h, clean, noise_std: the token's rows.
MOEMT_HOST_DEVICE inline double load_z(const int32_t* top, int ktop, int k, const float* h,
                                       const float* clean, const float* noise_std, int i, int* kth,
                                       bool* fixed) {
  if (ktop <= k) {  // as many candidates as choices: every expert is always kept
    *fixed = true;
    return 0.0;
  }
  *kth = top[k - 1];
  for (int j = 0; j < k; ++j)
    if (top[j] == i) *kth = top[k];
  const double hk = h[*kth];
  *fixed = !isfinite(hk);
  return *fixed ? 0.0 : (clean[i] - hk) / noise_std[i];
}

}  // namespace moemt::ops::math
