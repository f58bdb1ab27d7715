// CPU activations, OpenMP-parallel over elements.
#include <cmath>

#include "ops/activation.h"

namespace moemt::ops::cpu {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
}  // namespace

void activation_forward(Activation act, const Tensor& x, Tensor& y) {
  const float* px = x.data<float>();
  float* py = y.data<float>();
  int64_t n = x.numel();
  switch (act) {
    case Activation::relu:
#pragma omp parallel for simd schedule(static) if (n > 65536)
      for (int64_t i = 0; i < n; ++i) py[i] = px[i] > 0.f ? px[i] : 0.f;
      break;
    case Activation::gelu:
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) {
        float v = px[i];
        py[i] = 0.5f * v * (1.f + std::tanh(kSqrt2OverPi * (v + kGeluC * v * v * v)));
      }
      break;
    case Activation::gelu_erf:
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) py[i] = 0.5f * px[i] * (1.f + std::erf(px[i] * kInvSqrt2));
      break;
  }
}

void activation_backward(Activation act, const Tensor& x, const Tensor& dy, Tensor& dx) {
  const float* px = x.data<float>();
  const float* pdy = dy.data<float>();
  float* pdx = dx.data<float>();
  int64_t n = x.numel();
  switch (act) {
    case Activation::relu:
#pragma omp parallel for simd schedule(static) if (n > 65536)
      for (int64_t i = 0; i < n; ++i) pdx[i] = px[i] > 0.f ? pdy[i] : 0.f;
      break;
    case Activation::gelu:
      // d/dv [0.5 v (1 + tanh u)], u = a (v + c v^3): 0.5 (1 + t) + 0.5 v (1 - t^2) a (1 + 3 c v^2)
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) {
        float v = px[i];
        float t = std::tanh(kSqrt2OverPi * (v + kGeluC * v * v * v));
        float d = 0.5f * (1.f + t) +
                  0.5f * v * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * v * v);
        pdx[i] = pdy[i] * d;
      }
      break;
    case Activation::gelu_erf:
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) {
        float v = px[i];
        float d = 0.5f * (1.f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
        pdx[i] = pdy[i] * d;
      }
      break;
  }
}

}  // namespace moemt::ops::cpu
