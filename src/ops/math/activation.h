// Pointwise activation functions and their derivatives, shared by the CPU loops
// (ops/activation_cpu.cc) and a CUDA kernel, so the CPU tests cover the formula both run.
#pragma once

#include <math.h>

#include "core/host_device.h"

namespace moemt::ops::math {

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

MOEMT_HOST_DEVICE inline float relu(float x) { return x > 0.f ? x : 0.f; }
// dx for upstream dy at forward input x.
MOEMT_HOST_DEVICE inline float relu_backward(float x, float dy) { return x > 0.f ? dy : 0.f; }

// GELU, tanh approximation: 0.5 v (1 + tanh(a (v + c v^3))), a = sqrt(2/pi).
MOEMT_HOST_DEVICE inline float gelu(float v) {
  return 0.5f * v * (1.f + tanhf(kSqrt2OverPi * (v + kGeluC * v * v * v)));
}
// d/dv [0.5 v (1 + tanh u)], u = a (v + c v^3): 0.5 (1 + t) + 0.5 v (1 - t^2) a (1 + 3 c v^2).
MOEMT_HOST_DEVICE inline float gelu_grad(float v) {
  const float t = tanhf(kSqrt2OverPi * (v + kGeluC * v * v * v));
  return 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * v * v);
}

// Exact GELU: v Phi(v) = 0.5 v (1 + erf(v / sqrt 2)).
MOEMT_HOST_DEVICE inline float gelu_erf(float v) { return 0.5f * v * (1.f + erff(v * kInvSqrt2)); }
// Phi(v) + v phi(v).
MOEMT_HOST_DEVICE inline float gelu_erf_grad(float v) {
  return 0.5f * (1.f + erff(v * kInvSqrt2)) + v * kInvSqrt2Pi * expf(-0.5f * v * v);
}

}  // namespace moemt::ops::math
