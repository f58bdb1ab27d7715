// Bootstrap resampling (see bootstrap.h).
#include "eval/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "eval/np_random.h"

namespace moemt::eval {
namespace {

double mean_of(const std::vector<double>& v) {
  long double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : static_cast<double>(s / v.size());
}

}  // namespace

std::vector<std::vector<double>> bootstrap_scores(const Metric& metric,
                                                  const std::vector<std::vector<double>>& stats,
                                                  const BootstrapOptions& opts) {
  const size_t k = metric.num_stats();
  MOEMT_CHECK(!stats.empty(), "bootstrap needs at least one system");
  const size_t n = stats[0].size() / k;
  for (const auto& s : stats) MOEMT_CHECK(s.size() == n * k, "systems differ in segment count");
  if (n == 0) throw Error("bootstrap resampling needs at least one segment");
  if (opts.n_samples < 1) throw Error("bootstrap sample count must be positive");
  if (n > 0xFFFFFFFFULL) throw Error("too many segments for bootstrap resampling");
  // The draws form one stream (numpy fills an n_samples x n matrix row by row), so the index
  // rows are generated in order, then the sums for each row run in parallel.
  NumpyPcg64 rng(opts.seed);
  std::vector<std::vector<double>> scores(stats.size(), std::vector<double>(opts.n_samples));
  std::vector<uint32_t> idx(n);
  for (int b = 0; b < opts.n_samples; ++b) {
    for (size_t i = 0; i < n; ++i) idx[i] = rng.below(n);
    const int64_t ns = static_cast<int64_t>(stats.size());
#pragma omp parallel for schedule(static) if (n * ns > 20000)
    for (int64_t s = 0; s < ns; ++s) {
      std::vector<double> sums(k, 0.0);
      const double* st = stats[s].data();
      for (size_t i = 0; i < n; ++i) {
        const double* row = st + static_cast<size_t>(idx[i]) * k;
        for (size_t j = 0; j < k; ++j) sums[j] += row[j];
      }
      scores[s][b] = metric.score_from_stats(sums.data()).score;
    }
  }
  return scores;
}

std::pair<double, double> estimate_ci(std::vector<double> scores) {
  std::sort(scores.begin(), scores.end());
  const size_t n = scores.size();
  if (n == 0) return {0.0, 0.0};
  const size_t lower = n / 40, upper = n - lower - 1;
  return {mean_of(scores), 0.5 * (scores[upper] - scores[lower])};
}

std::vector<SystemResult> paired_bootstrap(const Metric& metric,
                                           const std::vector<std::vector<double>>& stats,
                                           const BootstrapOptions& opts) {
  auto scores = bootstrap_scores(metric, stats, opts);
  std::vector<SystemResult> out(stats.size());
  double base_score = 0.0;
  for (size_t s = 0; s < stats.size(); ++s) {
    out[s].score = metric.score_from_segment_stats(stats[s]).score;
    auto [mean, ci] = estimate_ci(scores[s]);
    out[s].mean = mean;
    out[s].ci = ci;
    if (s == 0) {
      base_score = out[s].score;
      continue;
    }
    // p = (1 + #{|d_b| - mean|d| > |real delta|}) / (1 + B), as sacrebleu/Moses.
    const double real = std::fabs(base_score - out[s].score);
    std::vector<double> diffs(opts.n_samples);
    for (int b = 0; b < opts.n_samples; ++b) diffs[b] = std::fabs(scores[s][b] - scores[0][b]);
    const double m = mean_of(diffs);
    int64_t c = 0;
    for (double d : diffs) c += (d - m) > real;
    out[s].p_value = static_cast<double>(c + 1) / (opts.n_samples + 1);
  }
  return out;
}

}  // namespace moemt::eval
