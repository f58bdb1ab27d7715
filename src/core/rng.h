// Counter-based random numbers (Philox4x32-10, core/philox.h): value i of stream s under seed k
// is a pure function of (k, s, i), so results do not depend on thread count or device.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "core/philox.h"

namespace moemt {

// The four words of one block as an array, for host code that wants one of them.
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
  float uniform(uint64_t i) const { return philox_uniform(bits(i)); }
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
