// Paired approximate randomization (see approx_randomization.h).
#include "eval/approx_randomization.h"

#include <cmath>

#include "core/error.h"
#include "eval/np_random.h"

namespace moemt::eval {

std::vector<SystemResult> paired_approximate_randomization(
    const Metric& metric, const std::vector<std::vector<double>>& stats, const ArOptions& opts) {
  const size_t k = metric.num_stats();
  MOEMT_CHECK(!stats.empty(), "the test needs a baseline");
  const size_t n = stats[0].size() / k;
  if (n == 0) throw Error("approximate randomization needs at least one segment");
  if (opts.n_trials < 1) throw Error("the number of trials must be positive");
  std::vector<SystemResult> out(stats.size());
  out[0].score = metric.score_from_segment_stats(stats[0]).score;
  const size_t words = (n + 63) / 64;
  for (size_t s = 1; s < stats.size(); ++s) {
    MOEMT_CHECK(stats[s].size() == n * k, "systems differ in segment count");
    out[s].score = metric.score_from_segment_stats(stats[s]).score;
    // sacrebleu starts a fresh generator for every system, then draws trials x segments
    // coin flips row by row; they are packed here so trials can run in parallel.
    NumpyPcg64 rng(opts.seed);
    std::vector<uint64_t> flips(static_cast<size_t>(opts.n_trials) * words, 0);
    for (int t = 0; t < opts.n_trials; ++t)
      for (size_t i = 0; i < n; ++i)
        if (rng.coin()) flips[t * words + i / 64] |= uint64_t{1} << (i % 64);
    const double real = std::fabs(out[0].score - out[s].score);
    const double* bl = stats[0].data();
    const double* sy = stats[s].data();
    int64_t count = 0;
#pragma omp parallel for schedule(static) reduction(+ : count) if (n * opts.n_trials > 1000000)
    for (int t = 0; t < opts.n_trials; ++t) {
      std::vector<double> a(k, 0.0), b(k, 0.0);
      const uint64_t* f = flips.data() + static_cast<size_t>(t) * words;
      for (size_t i = 0; i < n; ++i) {
        const bool pos = (f[i / 64] >> (i % 64)) & 1;
        const double* x = (pos ? bl : sy) + i * k;  // a takes the baseline where the coin is 1
        const double* y = (pos ? sy : bl) + i * k;
        for (size_t j = 0; j < k; ++j) {
          a[j] += x[j];
          b[j] += y[j];
        }
      }
      const double diff = std::fabs(metric.score_from_stats(a.data()).score -
                                    metric.score_from_stats(b.data()).score);
      count += diff > real;
    }
    out[s].p_value = static_cast<double>(count + 1) / (opts.n_trials + 1);
  }
  return out;
}

}  // namespace moemt::eval
