#!/usr/bin/env bash
# MoE layer benchmarks, one JSON line per measure (ratios are measured in the same run, with
# the two sides timed alternately):
#   moe_vs_dense     MoE layer forward+backward vs a dense FFN with the same active FLOPs
#                    (width k * expert_d_ff); target ratio <= 1.3, goal <= 1.1.
#   experts_scaling  one MoE layer's train step (zero_grad, forward+backward, Adam) for
#                    E = 4, 8, 16, 32, 64 at k = 2 and fixed expert size, with a per-phase split:
#                    a stress test, since only the layer's compute is there to amortise the
#                    per-parameter work of 8x more experts.
#   train_step_experts_scaling
#                    the whole model's train step (what Trainer does per update: zero_grad,
#                    forward+backward, Adam with clipping) for the same E list: the train_cpu.sh
#                    MoE model (d 256, 3+3 layers, MoE every other FFN, top-2, expert FFN 1024),
#                    4096-token batches; target: E = 64 within +15 % of E = 8.
# Usage: scripts/bench/moe_layer.sh [build-dir] [extra bench_moe flags...]
#   e.g. scripts/bench/moe_layer.sh build --threads 2 --tokens 4096
#   --device cuda:0 (a -DMOEMT_CUDA=ON build) runs bench_moe's two modes on that GPU and skips
#   the whole-model step, which bench_train_step times on the CPU only; scripts/gpu/check.sh
#   runs moe_vs_dense on the GPU from the bundle.
# MOEMT_BENCH_MODEL_FLAGS: extra bench_train_step flags (e.g. "--reps 3 --experts-list 8,64").
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
if [[ ! -x "$build/src/train/bench_train_step" ]]; then
  cmake --build "$build" --target bench_train_step -j"$(nproc)" >/dev/null
fi
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "{\"bench\":\"env\",\"nproc\":$(nproc),\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"omp_wait_policy\":\"$OMP_WAIT_POLICY\"}"
"$build/src/moe/bench_moe" --mode moe_vs_dense "$@"
"$build/src/moe/bench_moe" --mode experts_scaling "$@"
threads=() device=cpu
for ((i = 1; i <= $#; ++i)); do
  j=$((i + 1))
  [[ ${!i} == --threads ]] && threads=(--threads "${!j}")
  [[ ${!i} == --device ]] && device=${!j}
done
if [[ $device != cpu ]]; then
  echo "{\"bench\":\"train_step_experts_scaling\",\"skipped\":\"bench_train_step runs on the CPU only (--device $device)\"}"
  exit 0
fi
# shellcheck disable=SC2086
"$build/src/train/bench_train_step" "${threads[@]}" ${MOEMT_BENCH_MODEL_FLAGS:-}
