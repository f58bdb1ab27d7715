// Deterministic sampling helpers.
#include "data/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace moemt::data {

uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  // splitmix64 finaliser over both values, so nearby seeds/streams give unrelated states.
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  MOEMT_CHECK(n > 0, "uniform_below(0)");
  // Reject the top partial range so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  uint64_t x;
  do {
    x = rng();
  } while (x > limit);
  return x % n;
}

std::vector<int64_t> temperature_quotas(const std::vector<int64_t>& counts, double temperature,
                                        int64_t total) {
  MOEMT_CHECK(temperature > 0, "temperature must be > 0, got {}", temperature);
  std::vector<double> w(counts.size(), 0.0);
  double sum = 0;
  for (size_t g = 0; g < counts.size(); ++g) {
    if (counts[g] > 0) w[g] = std::pow(static_cast<double>(counts[g]), 1.0 / temperature);
    sum += w[g];
  }
  std::vector<int64_t> q(counts.size(), 0);
  if (sum == 0 || total <= 0) return q;
  // Largest-remainder rounding: floors first, then the biggest fractions get the rest.
  std::vector<std::pair<double, size_t>> frac;
  int64_t assigned = 0;
  for (size_t g = 0; g < counts.size(); ++g) {
    const double exact = static_cast<double>(total) * w[g] / sum;
    q[g] = static_cast<int64_t>(std::floor(exact));
    assigned += q[g];
    if (counts[g] > 0) frac.emplace_back(exact - static_cast<double>(q[g]), g);
  }
  std::stable_sort(frac.begin(), frac.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; assigned < total && k < frac.size(); ++k, ++assigned) ++q[frac[k].second];
  return q;
}

std::vector<int64_t> sample_indices(int64_t n, int64_t quota, std::mt19937_64& rng) {
  std::vector<int64_t> out;
  if (n <= 0 || quota <= 0) return out;
  out.reserve(static_cast<size_t>(quota));
  for (int64_t r = 0; r < quota / n; ++r)
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
  const int64_t rest = quota % n;
  if (rest > 0) {
    // Partial Fisher-Yates: the first `rest` slots of a shuffled 0..n-1.
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    for (int64_t i = 0; i < rest; ++i) {
      const int64_t j = i + static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(n - i)));
      std::swap(idx[i], idx[j]);
    }
    out.insert(out.end(), idx.begin(), idx.begin() + rest);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace moemt::data
