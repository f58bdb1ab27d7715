// Philox4x32-10 (Salmon et al. 2011), the counter-based generator behind RngStream and dropout,
// as host/device inline functions: a CUDA kernel draws exactly the words the CPU loop draws.
#pragma once

#include <stdint.h>

#include "core/host_device.h"

namespace moemt {

// One Philox4x32-10 block: 4 random 32-bit words for a 128-bit counter and 64-bit key, as
// four scalars, so that a loop over independent blocks vectorises.
MOEMT_HOST_DEVICE inline void philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo,
                                         uint32_t& w0, uint32_t& w1, uint32_t& w2, uint32_t& w3) {
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

// Uniform in [0, 1) from the top 24 bits of a random word (exact in f32).
MOEMT_HOST_DEVICE inline float philox_uniform(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

}  // namespace moemt
