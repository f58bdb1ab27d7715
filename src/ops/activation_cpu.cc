// CPU activations, OpenMP-parallel over elements.
#include <cmath>

#include "core/simd.h"
#include "ops/activation.h"

namespace moemt::ops::cpu {

namespace {
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr int64_t kReluChunk = 1 << 16;  // elements per thread at least: memory-bound loop

// x and y (dx and dy) may be the same buffer.
MOEMT_SIMD_CLONES void relu_forward(const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
MOEMT_SIMD_CLONES void relu_backward(const float* x, const float* dy, float* dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}
}  // namespace

void activation_forward(Activation act, const Tensor& x, Tensor& y) {
  const float* px = x.data<float>();
  float* py = y.data<float>();
  int64_t n = x.numel();
  switch (act) {
    case Activation::relu:
      parallel_chunks(n, kReluChunk,
                      [&](int, int64_t lo, int64_t hi) { relu_forward(px + lo, py + lo, hi - lo); });
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
      parallel_chunks(n, kReluChunk, [&](int, int64_t lo, int64_t hi) {
        relu_backward(px + lo, pdy + lo, pdx + lo, hi - lo);
      });
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
