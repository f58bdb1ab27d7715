// Bootstrap resampling over per-segment statistics: 95 % confidence intervals and
// sacrebleu's paired bootstrap test (--paired-bs). Resamples are drawn exactly as
// sacrebleu draws them (numpy default_rng(seed)), so the same segments are picked.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "eval/metric.h"

namespace moemt::eval {

constexpr uint64_t kDefaultBootstrapSeed = 12345;  // sacrebleu's SACREBLEU_SEED default
constexpr int kDefaultBootstrapSamples = 1000;

struct BootstrapOptions {
  int n_samples = kDefaultBootstrapSamples;
  uint64_t seed = kDefaultBootstrapSeed;
};

struct SystemResult {
  double score = 0.0;
  double mean = 0.0;              // bootstrap estimate of the true mean
  double ci = 0.0;                // half-width of the 95 % interval
  std::optional<double> p_value;  // against the baseline; none for the baseline itself
};

// Scores of every resample for each system: result[system][sample]. `stats[s]` holds system
// s's per-segment statistics (n_segments x metric.num_stats()), all for the same segments.
std::vector<std::vector<double>> bootstrap_scores(const Metric& metric,
                                                  const std::vector<std::vector<double>>& stats,
                                                  const BootstrapOptions& opts);

// Mean and 95 % half-interval of resampled scores (sacrebleu's estimate_ci).
std::pair<double, double> estimate_ci(std::vector<double> scores);

// Paired bootstrap test: stats[0] is the baseline. Returns one result per system.
std::vector<SystemResult> paired_bootstrap(const Metric& metric,
                                           const std::vector<std::vector<double>>& stats,
                                           const BootstrapOptions& opts);

}  // namespace moemt::eval
