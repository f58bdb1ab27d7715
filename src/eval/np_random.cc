// numpy-compatible PCG64 (see np_random.h). Constants are numpy's SeedSequence and PCG64's.
#include "eval/np_random.h"

#include <vector>

#include "core/error.h"

namespace moemt::eval {
namespace {

constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875, kInitB = 0x8b51f9dd,
                   kMultB = 0x58f38ded, kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr int kPoolSize = 4;

// SeedSequence(seed).generate_state(n_words32) for a non-negative integer seed.
std::vector<uint32_t> seed_sequence_state(uint64_t seed, int n_words32) {
  std::vector<uint32_t> entropy;
  do {  // the integer as little-endian 32-bit words
    entropy.push_back(static_cast<uint32_t>(seed & 0xFFFFFFFFu));
    seed >>= 32;
  } while (seed);
  uint32_t hash_const = kInitA;
  auto hashmix = [&](uint32_t value) {
    value ^= hash_const;
    hash_const *= kMultA;
    value *= hash_const;
    value ^= value >> kXShift;
    return value;
  };
  auto mix = [](uint32_t x, uint32_t y) {
    uint32_t r = kMixMultL * x - kMixMultR * y;
    r ^= r >> kXShift;
    return r;
  };
  uint32_t pool[kPoolSize];
  for (int i = 0; i < kPoolSize; ++i)
    pool[i] = hashmix(i < static_cast<int>(entropy.size()) ? entropy[i] : 0u);
  for (int src = 0; src < kPoolSize; ++src)
    for (int dst = 0; dst < kPoolSize; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (size_t src = kPoolSize; src < entropy.size(); ++src)
    for (int dst = 0; dst < kPoolSize; ++dst) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  std::vector<uint32_t> out(n_words32);
  uint32_t hb = kInitB;
  for (int i = 0; i < n_words32; ++i) {
    uint32_t v = pool[i % kPoolSize];
    v ^= hb;
    hb *= kMultB;
    v *= hb;
    v ^= v >> kXShift;
    out[i] = v;
  }
  return out;
}

constexpr unsigned __int128 kPcgMult =
    (static_cast<unsigned __int128>(2549297995355413924ULL) << 64) | 4865540595714422341ULL;

}  // namespace

NumpyPcg64::NumpyPcg64(uint64_t seed) {
  std::vector<uint32_t> w = seed_sequence_state(seed, 8);
  uint64_t v[4];
  for (int i = 0; i < 4; ++i)
    v[i] = static_cast<uint64_t>(w[2 * i]) | (uint64_t{w[2 * i + 1]} << 32);
  unsigned __int128 s = (static_cast<unsigned __int128>(v[0]) << 64) | v[1];
  unsigned __int128 q = (static_cast<unsigned __int128>(v[2]) << 64) | v[3];
  state_ = 0;
  inc_ = (q << 1) | 1;
  state_ = state_ * kPcgMult + inc_;
  state_ += s;
  state_ = state_ * kPcgMult + inc_;
}

uint64_t NumpyPcg64::next64() {
  state_ = state_ * kPcgMult + inc_;
  uint64_t hi = static_cast<uint64_t>(state_ >> 64), lo = static_cast<uint64_t>(state_);
  unsigned rot = static_cast<unsigned>(state_ >> 122);
  uint64_t x = hi ^ lo;
  return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t NumpyPcg64::next32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return uinteger_;
  }
  uint64_t v = next64();
  has_uint32_ = true;
  uinteger_ = static_cast<uint32_t>(v >> 32);
  return static_cast<uint32_t>(v & 0xFFFFFFFFu);
}

bool NumpyPcg64::coin() {
  if (bool_bits_ == 0) {
    bool_buf_ = next32();
    bool_bits_ = 31;
  } else {
    bool_buf_ >>= 1;
    --bool_bits_;
  }
  return (bool_buf_ & 1u) != 0;
}

uint32_t NumpyPcg64::below(uint64_t n) {
  MOEMT_CHECK(n >= 1 && n <= 0x100000000ULL, "bounded draw out of range: {}", n);
  const uint64_t rng = n - 1;
  if (rng == 0) return 0;
  if (rng == 0xFFFFFFFFULL) return next32();
  const uint32_t rng_excl = static_cast<uint32_t>(rng) + 1;
  uint64_t m = static_cast<uint64_t>(next32()) * rng_excl;
  uint32_t leftover = static_cast<uint32_t>(m & 0xFFFFFFFFu);
  if (leftover < rng_excl) {
    const uint32_t threshold = (0xFFFFFFFFu - static_cast<uint32_t>(rng)) % rng_excl;
    while (leftover < threshold) {
      m = static_cast<uint64_t>(next32()) * rng_excl;
      leftover = static_cast<uint32_t>(m & 0xFFFFFFFFu);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace moemt::eval
