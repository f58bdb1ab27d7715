// Paired approximate randomization test (sacrebleu's --paired-ar): for each trial every
// segment's statistics are swapped between the baseline and the system with probability 1/2,
// with the very coin flips numpy draws for sacrebleu's seed.
#pragma once

#include "eval/bootstrap.h"

namespace moemt::eval {

constexpr int kDefaultArTrials = 10000;

struct ArOptions {
  int n_trials = kDefaultArTrials;
  uint64_t seed = kDefaultBootstrapSeed;
};

// stats[0] is the baseline. Results carry score and p_value (none for the baseline); mean and
// ci are left at 0 (sacrebleu's CLI reports no interval for this test).
std::vector<SystemResult> paired_approximate_randomization(
    const Metric& metric, const std::vector<std::vector<double>>& stats, const ArOptions& opts);

}  // namespace moemt::eval
