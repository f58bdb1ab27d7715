// Per-element math of an LSTM cell (gates i, f, g, o) and its backward, shared by the CPU loop
// (ops/lstm_cell_cpu.cc) and a CUDA kernel, so the CPU tests cover the formula both run.
#pragma once

#include <math.h>

#include "core/host_device.h"

namespace moemt::ops::math {

MOEMT_HOST_DEVICE inline float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

// Pre-activations (ai, af, ag, ao) and the previous cell c_prev ->
// i = σ(ai), f = σ(af), g = tanh(ag), o = σ(ao), c = f c_prev + i g, h = o tanh(c).
MOEMT_HOST_DEVICE inline void lstm_cell(float ai, float af, float ag, float ao, float c_prev,
                                        float& i, float& f, float& g, float& o, float& c,
                                        float& h) {
  i = sigmoid(ai);
  f = sigmoid(af);
  g = tanhf(ag);
  o = sigmoid(ao);
  c = f * c_prev + i * g;
  h = o * tanhf(c);
}

// Backward of lstm_cell. dh: gradient of h; dc_in: gradient of c from later steps.
// In the forward `h = o tanh(c)`, so do = dh tanh(c) and dc = dc_in + dh o (1 - tanh²c);
// `c = f c_prev + i g` gives di = dc g, dg = dc i, df = dc c_prev, dc_prev = dc f; then each
// gate through its nonlinearity (σ' = s (1 - s), tanh' = 1 - t²).
MOEMT_HOST_DEVICE inline void lstm_cell_backward(float i, float f, float g, float o, float c_prev,
                                                 float c, float dh, float dc_in, float& dai,
                                                 float& daf, float& dag, float& dao,
                                                 float& dc_prev) {
  const float tc = tanhf(c);
  const float dc = dc_in + dh * o * (1.f - tc * tc);
  dao = dh * tc * o * (1.f - o);
  dai = dc * g * i * (1.f - i);
  dag = dc * i * (1.f - g * g);
  daf = dc * c_prev * f * (1.f - f);
  dc_prev = dc * f;
}

}  // namespace moemt::ops::math
