#!/usr/bin/env bash
# MoE layer benchmarks, one JSON line per measure (ratios are measured in the same run, with
# the two sides timed alternately):
#   moe_vs_dense     MoE layer forward+backward vs a dense FFN with the same active FLOPs
#                    (width k * expert_d_ff); target ratio <= 1.3, goal <= 1.1.
#   experts_scaling  layer train step for E = 4, 8, 16, 32, 64 at k = 2 and fixed expert size;
#                    target: E = 64 within +15 % of E = 8.
# Usage: scripts/bench/moe_layer.sh [build-dir] [extra bench_moe flags...]
#   e.g. scripts/bench/moe_layer.sh build --threads 2 --tokens 4096
# Environment: OMP_WAIT_POLICY is set to passive unless already set (spinning OpenMP threads
# starve each other on a shared, oversubscribed machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
if [[ ! -x "$build/src/moe/bench_moe" ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target bench_moe -j"$(nproc)" >/dev/null
fi
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "{\"bench\":\"env\",\"nproc\":$(nproc),\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"omp_wait_policy\":\"$OMP_WAIT_POLICY\"}"
"$build/src/moe/bench_moe" --mode moe_vs_dense "$@"
"$build/src/moe/bench_moe" --mode experts_scaling "$@"
