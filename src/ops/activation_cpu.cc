// CPU activations, OpenMP-parallel over elements; the formulas are ops/math/activation.h.
#include "core/simd.h"
#include "ops/activation.h"
#include "ops/math/activation.h"

namespace moemt::ops::cpu {

namespace {
constexpr int64_t kReluChunk = 1 << 16;  // elements per thread at least: memory-bound loop

// x and y (dx and dy) may be the same buffer.
MOEMT_SIMD_CLONES void relu_forward(const float* x, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = math::relu(x[i]);
}
MOEMT_SIMD_CLONES void relu_backward(const float* x, const float* dy, float* dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] = math::relu_backward(x[i], dy[i]);
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
      for (int64_t i = 0; i < n; ++i) py[i] = math::gelu(px[i]);
      break;
    case Activation::gelu_erf:
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) py[i] = math::gelu_erf(px[i]);
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
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) pdx[i] = pdy[i] * math::gelu_grad(px[i]);
      break;
    case Activation::gelu_erf:
#pragma omp parallel for schedule(static) if (n > 16384)
      for (int64_t i = 0; i < n; ++i) pdx[i] = pdy[i] * math::gelu_erf_grad(px[i]);
      break;
  }
}

}  // namespace moemt::ops::cpu
