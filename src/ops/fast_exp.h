// exp (and max) for the max-shifted arguments of softmax-like ops: a branch-free polynomial that the
// compiler vectorises (libm's expf is scalar), accurate to a few ulp, far below what losses,
// gradients and decoding scores need.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace moemt::ops {

// exp(x) for x <= 0 (arguments are z - max), Cephes-style: x = n ln2 + r, |r| <= ln2/2,
// exp(r) by a degree-7 polynomial, 2^n through the exponent bits. Returns 0 below -87.
inline float exp_nonpos(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f,
                  kRound = 12582912.f;  // 1.5 * 2^23
  float xc = std::max(x, -87.f);
  float t = xc * kLog2e + kRound;  // round to nearest integer in the low mantissa bits
  float n = t - kRound;
  float r = xc - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return x < -87.f ? 0.f : p * std::bit_cast<float>(bits);
}

// max of x[0, n), n >= 1 (vectorised; the shift that keeps exp_nonpos's argument <= 0).
inline float max_of(const float* x, int64_t n) {
  float m = x[0];
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

}  // namespace moemt::ops
