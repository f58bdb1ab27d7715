// Deterministic random helpers for data order and sampling: the same seed gives the same
// result with any standard library (std::shuffle and std::uniform_int_distribution don't).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace moemt::data {

// Combines a seed with a stream number (epoch, maxi-batch index, ...) into a new seed.
uint64_t mix_seed(uint64_t seed, uint64_t stream);

// Uniform integer in [0, n) without modulo bias (n > 0).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n);

// In-place Fisher-Yates shuffle.
template <typename T>
void shuffle_in_place(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_below(rng, i));
    std::swap(v[i - 1], v[j]);
  }
}

// Per-group sample sizes for temperature sampling: group g with counts[g] items gets a share
// p_g ~ counts[g]^(1/T) of `total` (rounded so the quotas sum to `total`; empty groups get 0).
// T=1 keeps the data's proportions, T->inf is uniform over groups.
std::vector<int64_t> temperature_quotas(const std::vector<int64_t>& counts, double temperature,
                                        int64_t total);

// `quota` indices in [0, n): every index floor(quota/n) times, plus a random subset of size
// quota % n without repeats. Sorted ascending (the caller shuffles if it wants).
std::vector<int64_t> sample_indices(int64_t n, int64_t quota, std::mt19937_64& rng);

}  // namespace moemt::data
