#!/usr/bin/env bash
# Training speed of moemt against a PyTorch reference of the same architecture, measured in one
# run on the same cores; one JSON line per measure (env, each system per round, summary with the ratio).
#
#   scripts/bench/train_cpu.sh [--moe] [--threads 2] [--warmup 2] [--steps 6] [--rounds 2]
#                              [--moemt PATH] [--no-moemt] [--work DIR]
#
# Model: d_model 256, 4 heads, ffn 1024, 3+3 layers, vocab 8000, tied embeddings, sinusoidal
# positions, pre-norm, dropout 0.1, label smoothing 0.1, Adam, clip-norm 1. --moe: 8 experts,
# top-2, every other FFN of both stacks (layer 2 of 3), capacity factor 1.25, expert d_ff 1024.
# Data: a deterministic synthetic corpus (torch_ref/corpus.py, 30k pairs, ~20 words per
# sentence) and one sentencepiece model (8000 pieces) that both systems use (moemt: --vocabs).
# Batching rule, both systems: sort a maxi-batch (100 budgets) by length, then add sentences
# while the padded size max(B*S, B*T) <= 4096 (moemt's --mini-batch-words).
# Measure: tokens/s = non-pad source + target tokens of an update / its wall time (batch
# building included); each round starts each system afresh and measures --steps updates after
# --warmup updates; the summary is the median over all measured updates of all rounds.
# Reference at its best: Debian's python3-torch with the OpenMP OpenBLAS (libopenblas0-openmp,
# put first with LD_LIBRARY_PATH; Debian's default alternative may be the slow reference BLAS),
# torch.set_num_threads(threads); its GEMM GFLOP/s is printed in the torch line. Both systems
# run with OMP_WAIT_POLICY=passive (spinning OpenMP threads make a shared, busy 2-core machine
# ~10x slower for small ops) and OMP_NUM_THREADS=threads.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
THREADS=2 WARMUP=2 STEPS=6 ROUNDS=2 MOE=0 RUN_MOEMT=1
MOEMT=${MOEMT:-build/bin/moemt}
WORK=${TMPDIR:-/tmp}/moemt_bench
while [[ $# -gt 0 ]]; do
  case "$1" in
    --moe) MOE=1; shift ;;
    --threads) THREADS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --no-moemt) RUN_MOEMT=0; shift ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# --- reference environment (idempotent) ---------------------------------------------------
# shellcheck source=scripts/bench/reference_env.sh
source "$REPO/scripts/bench/reference_env.sh"

moe_flags=() moe_json=false tag=dense
if ((MOE)); then
  moe_flags=(--moe --moe-experts 8 --moe-top-k 2 --moe-every 2) moe_json=true tag=moe
fi
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"bench\":\"train_cpu\",\"measure\":\"env\",\"moe\":$moe_json,\"nproc\":$(nproc),\"threads\":$THREADS,\"warmup\":$WARMUP,\"steps\":$STEPS,\"rounds\":$ROUNDS,\"mini_batch_words\":4096,\"omp_wait_policy\":\"$OMP_WAIT_POLICY\",\"loadavg\":\"$(loadavg)\"}"

mkdir -p "$WORK"
$PY "$REPO/scripts/bench/torch_ref/corpus.py" "$WORK"
SRC=$WORK/train.eng_Latn TGT=$WORK/train.deu_Latn SPM=$WORK/spm8k.model
# --- one measurement of each system ------------------------------------------------------
SUM=$REPO/scripts/bench/torch_ref/summarize.py
HAVE_MOEMT=0
if ((RUN_MOEMT)) && [[ -x $MOEMT ]] && "$MOEMT" train --help > /dev/null 2>&1; then HAVE_MOEMT=1; fi
run_moemt() {  # $1 = round; prints one JSON line
  local log=$WORK/moemt_train_$tag.jsonl
  rm -f "$log"
  "$MOEMT" train --train-sets "$SRC" "$TGT" --vocabs "$SPM" --model "$WORK/moemt_model_$tag" \
    --overwrite --dim-emb 256 --transformer-heads 4 --transformer-dim-ffn 1024 --enc-depth 3 \
    --dec-depth 3 --transformer-dropout 0.1 --label-smoothing 0.1 --clip-norm 1 \
    --mini-batch-words 4096 --maxi-batch 100 --cpu-threads "$THREADS" \
    --after "$((WARMUP + STEPS))u" --disp-freq 1u --save-freq 1000000u --log "$log" \
    --log-level warn "${moe_flags[@]}" > "$WORK/moemt_train_$tag.out" 2>&1 ||
    { echo "moemt train failed, see $WORK/moemt_train_$tag.out" >&2; exit 1; }
  $PY "$SUM" moemt-train "$log" "$WARMUP" "$moe_json" "$MOEMT" "$1"
}
run_torch() {  # $1 = round
  $PY "$REPO/scripts/bench/torch_ref/train_bench.py" --src "$SRC" --tgt "$TGT" --spm "$SPM" \
    --threads "$THREADS" --warmup "$WARMUP" --steps "$STEPS" --round "$1" "${moe_flags[@]}"
}

# Rounds in ABBA order (moemt, torch, torch, moemt, ...) so that a load trend on the shared
# machine hits both systems alike; the summary takes the median over all measured updates.
if ((!HAVE_MOEMT)); then
  echo "{\"bench\":\"train_cpu\",\"system\":\"moemt\",\"skipped\":\"no '$MOEMT train' (build the moemt target or pass --moemt)\"}"
fi
lines=()
for ((r = 1; r <= ROUNDS; r++)); do
  order=(moemt torch)
  if ((r % 2 == 0)); then order=(torch moemt); fi
  for system in "${order[@]}"; do
    if [[ $system == moemt ]] && ((!HAVE_MOEMT)); then continue; fi
    echo "{\"bench\":\"train_cpu\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
    line=$(run_$system "$r")
    echo "$line"
    lines+=("$line")
  done
done
printf '%s\n' "${lines[@]}" | $PY "$SUM" train-summary
echo "{\"bench\":\"train_cpu\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
