// A bit-exact copy of the draws numpy's default_rng(seed).integers(0, n) makes (SeedSequence
// seeding, PCG64, Lemire's bounded integers), so bootstrap resampling picks the very same
// segments as sacrebleu for the same seed.
#pragma once

#include <cstdint>

namespace moemt::eval {

class NumpyPcg64 {
 public:
  explicit NumpyPcg64(uint64_t seed);
  uint64_t next64();
  uint32_t next32();
  // A uniform integer in [0, n), n >= 1 and n <= 2^32 (numpy's 32-bit bounded path).
  uint32_t below(uint64_t n);
  // A fair coin as numpy's integers(2, dtype=bool) draws it: bits of one 32-bit word, low first.
  bool coin();

 private:
  unsigned __int128 state_ = 0, inc_ = 0;
  bool has_uint32_ = false;
  uint32_t uinteger_ = 0;
  uint32_t bool_buf_ = 0;
  int bool_bits_ = 0;
};

}  // namespace moemt::eval
