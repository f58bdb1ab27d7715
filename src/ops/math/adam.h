// Adam(W)'s per-element update, shared by the CPU loop (ops/adam_cpu.cc) and a CUDA kernel:
// the step's constants are computed once on the host, the element update on either device.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/host_device.h"

namespace moemt::ops::math {

// One step's constants, as the update loop wants them.
struct AdamCoeffs {
  float grad_scale;  // multiplies the gradient first (the clipping factor)
  float b1, b2, eps;
  float step_size;    // lr / (1 - b1^t): the first moment's bias correction folded in
  float inv_sqrt_c2;  // 1 / sqrt(1 - b2^t): the second moment's bias correction
  float decay;        // lr * weight_decay (decoupled, AdamW)
};

// Host only: every backend receives the same constants, so they agree to the bit.
inline AdamCoeffs adam_coeffs(float lr, float b1, float b2, float eps, float weight_decay,
                              int64_t step, float grad_scale) {
  const float c1 = 1.f - powf(b1, static_cast<float>(step));
  const float c2 = 1.f - powf(b2, static_cast<float>(step));
  return {grad_scale, b1, b2, eps, lr / c1, 1.f / sqrtf(c2), lr * weight_decay};
}

// m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2  (g = grad_scale * grad),
// w <- w - lr m_hat / (sqrt(v_hat) + eps) - lr wd w, with m_hat = m / c1, v_hat = v / c2.
MOEMT_HOST_DEVICE inline void adam_update(float& w, float grad, float& m, float& v,
                                          const AdamCoeffs& c) {
  const float g = grad * c.grad_scale;
  const float mi = c.b1 * m + (1.f - c.b1) * g;
  const float vi = c.b2 * v + (1.f - c.b2) * g * g;
  m = mi;
  v = vi;
  w -= c.step_size * mi / (sqrtf(vi) * c.inv_sqrt_c2 + c.eps) + c.decay * w;
}

}  // namespace moemt::ops::math
