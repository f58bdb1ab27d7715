// CPU gate product: a loop over tokens (N * k is small).
#include "ops/moe_gate_scale.h"

namespace moemt::ops::cpu {

void moe_gate_scale(const Tensor& gate, const Tensor& scale, Tensor& out) {
  const int64_t n = gate.size(0), k = gate.size(1);
  const float *g = gate.data<float>(), *s = scale.data<float>();
  float* o = out.data<float>();
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < k; ++j) o[t * k + j] = g[t * k + j] * s[t];
}

void moe_gate_scale_backward(const Tensor& dout, const Tensor& gate, const Tensor& scale,
                             Tensor& dgate, Tensor& dscale) {
  const int64_t n = gate.size(0), k = gate.size(1);
  const float *d = dout.data<float>(), *g = gate.data<float>(), *s = scale.data<float>();
  float *dg = dgate.data<float>(), *ds = dscale.data<float>();
  for (int64_t t = 0; t < n; ++t) {
    float acc = 0.f;
    for (int64_t j = 0; j < k; ++j) {
      acc += d[t * k + j] * g[t * k + j];
      dg[t * k + j] = d[t * k + j] * s[t];  // after the read above: dgate may alias dout
    }
    ds[t] = acc;
  }
}

}  // namespace moemt::ops::cpu
