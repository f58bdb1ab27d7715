#!/usr/bin/env bash
# The GPU benchmarks of scripts/gpu/check.sh, run on the CPU at tiny sizes so they cannot rot:
# bench_moe's moe_vs_dense (MoE layer vs a dense FFN of the same active FLOPs) with --device,
# and scripts/gpu/bench_decode.sh (greedy and beam 4 at batch 1 and 64). Checks that each
# exits 0 and prints its JSON lines with the fields check.sh's readers use.
# Usage: gpu_bench_smoke.sh MOEMT BENCH_MOE
set -euo pipefail
MOEMT=$1 BENCH_MOE=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

"$BENCH_MOE" --device cpu --mode moe_vs_dense --tokens 64 --d-model 16 --d-ff 32 --experts 4 \
  --reps 1 --warmup 0 > "$T/moe.jsonl" || fail "bench_moe exited $?"
[[ $(grep -c '^{"bench":"moe_vs_dense".*"device":"cpu".*"ratio_moe_over_dense":[0-9.e+-]*,' "$T/moe.jsonl") -eq 3 ]] ||
  fail "bench_moe: expected 3 moe_vs_dense lines: $(cat "$T/moe.jsonl")"
if "$BENCH_MOE" --device nowhere > /dev/null 2> "$T/err"; then fail "bench_moe accepted --device nowhere"; fi
grep -q "bad device 'nowhere'" "$T/err" || fail "bench_moe device message: $(cat "$T/err")"

bash scripts/gpu/bench_decode.sh --device cpu --size tiny --length 6 --sentences-b1 2 --updates 2 \
  --work "$T/decode" -- "$MOEMT" > "$T/decode.jsonl" || fail "bench_decode.sh exited $?"
grep -q '^{"bench":"decode_model","size":"tiny","trained_on":"cpu"' "$T/decode.jsonl" ||
  fail "bench_decode.sh: no model line: $(cat "$T/decode.jsonl")"
for run in '"beam":1,"batch":1,"sentences":2' '"beam":4,"batch":1,"sentences":2' \
           '"beam":1,"batch":64,"sentences":64' '"beam":4,"batch":64,"sentences":64'; do
  grep -qE "^\{\"bench\":\"decode\",\"device\":\"cpu\",\"size\":\"tiny\",$run,\"length\":6,.*\"tokens_per_s\":([0-9.]+|null)\}$" \
    "$T/decode.jsonl" || fail "bench_decode.sh: no line for $run: $(cat "$T/decode.jsonl")"
done
# One output line per input line (bench_decode.sh fails otherwise; checked here once more).
[[ $(wc -l < "$T/decode/out.64.4") -eq 64 ]] || fail "beam 4 batch 64: not 64 output lines"
echo "gpu_bench_smoke: bench_moe and bench_decode.sh print their JSON lines"
