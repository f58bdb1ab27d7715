// Counter-based random numbers (Philox4x32-10): value i of stream s under seed k is a pure
// function of (k, s, i), so results do not depend on thread count or device.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace moemt {

// One Philox4x32-10 block: 4 random 32-bit words for a 128-bit counter and 64-bit key, as
// four scalars, so that a loop over independent blocks vectorises.
inline void philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t& w0, uint32_t& w1,
                       uint32_t& w2, uint32_t& w3) {
  uint32_t c0 = static_cast<uint32_t>(ctr_lo), c1 = static_cast<uint32_t>(ctr_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(ctr_hi), c3 = static_cast<uint32_t>(ctr_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = static_cast<uint32_t>(p1);
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kW0;
    k1 += kW1;
  }
  w0 = c0, w1 = c1, w2 = c2, w3 = c3;
}
inline std::array<uint32_t, 4> philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo) {
  std::array<uint32_t, 4> w;
  philox4x32(key, ctr_hi, ctr_lo, w[0], w[1], w[2], w[3]);
  return w;
}

// A stream of random numbers addressed by index. Streams are cheap values: make one per use
// (per layer call and step) from the run's seed and a stream id.
struct RngStream {
  uint64_t seed = 0;
  uint64_t stream = 0;

  uint32_t bits(uint64_t i) const { return philox4x32(seed, stream, i >> 2)[i & 3]; }
  // Uniform in [0, 1) with 24 random bits.
  float uniform(uint64_t i) const { return static_cast<float>(bits(i) >> 8) * (1.0f / 16777216.0f); }
  // Standard normal by Box-Muller on one block (the block index is i, words 0 and 1).
  float normal(uint64_t i) const {
    auto w = philox4x32(seed, stream ^ 0x5bd1e9955bd1e995ull, i);
    double u1 = (static_cast<double>(w[0]) + 1.0) * (1.0 / 4294967297.0);  // (0, 1]
    double u2 = static_cast<double>(w[1]) * (1.0 / 4294967296.0);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  // A derived stream, e.g. per layer or per step.
  RngStream sub(uint64_t id) const {
    auto w = philox4x32(seed ^ 0x9E3779B97F4A7C15ull, stream, id);
    return {seed, (static_cast<uint64_t>(w[0]) << 32) | w[1]};
  }
};

}  // namespace moemt
