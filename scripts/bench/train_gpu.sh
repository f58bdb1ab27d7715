#!/usr/bin/env bash
# Training tokens/s of moemt against the PyTorch reference (torch_ref/train_bench.py, eager) on
# one device, same model, same data, same token budget; model FLOPs per token and MFU (issue
# #11's training benchmark; scripts/gpu/check.sh runs it on cuda:0 from the bundle, ctest runs
# it at --size tiny on the CPU as bench.train_gpu_smoke). One JSON line per system, then a
# summary line: tokens/s of each, moemt_over_torch, model_flops_per_token, each one's MFU.
#
#   scripts/bench/train_gpu.sh [--device cuda:0] [--size base|tiny] [--precision bfloat16]
#       [--warmup 5] [--steps 30] [--max-seconds 30] [--batch-words N] [--data DIR]
#       [--python PY] [--peak-tflops X] [--threads N (cpu: all cores, cuda: 4)] [--work DIR]
#       -- MOEMT [ARGS...]
#
# MOEMT [ARGS...]: how to run moemt (check.sh passes the bundled dynamic loader and binary).
# Model (--size base): the issue's transformer-base MoE: d 512, 8 heads, ffn 2048, 6+6 layers,
# 16 experts top-2 in every other layer of both stacks (layers 1, 3, 5), capacity factor 1.25,
# switch loss 0.01, z-loss 0.001, dropout 0.1, label smoothing 0.1, Adam, clip-norm 1, tied
# embeddings; token budget 8192 (max(B*S, B*T), moemt's --mini-batch-words; both systems batch
# by the same rule). tiny: d 32, 2 heads, ffn 64, 2+2 layers, 4 experts, budget 512.
# Data (--data DIR, else made in WORK/data by torch_ref/corpus.py, which needs spm_train and
# sentencepiece's Python module): the deterministic synthetic corpus (eng_Latn -> deu_Latn),
# its sentencepiece model spm8k.model (moemt reads the text with it: --vocabs) and train.ids,
# the same pairs as ids for the reference, so the GPU machine needs no sentencepiece.
# Precision: --precision bfloat16 runs the reference under bf16 autocast and moemt with
# --precision bfloat16 where its `train --help` lists that flag (else in float32); the JSON
# says which precision each ran.
# Measure: tokens/s = non-pad source + target tokens of an update / its wall time (batch
# building included; the reference synchronises the device at the end of each update, moemt
# reads its loss at each --disp-freq 1u display); the median over the updates after --warmup,
# at most --steps of them or --max-seconds of measured updates per system.
# MFU = model FLOPs per token (torch_ref/flops.py: matrix products, training = 3x forward, the
# corpus' mean lengths) x tokens/s / peak. Peak on cuda: 989.4 TFLOP/s, the H100/H200 SXM
# bf16 dense tensor-core peak of NVIDIA's datasheet (1979 is with 2:4 sparsity); --peak-tflops
# overrides it; on the CPU no peak is stated and MFU is null.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
DEVICE=cuda:0 SIZE=base PRECISION=bfloat16 WARMUP="" STEPS="" MAX_S="" BATCH="" DATA="" WORK=""
PY=${PY:-} PEAK="" THREADS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --precision) PRECISION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --max-seconds) MAX_S=$2; shift 2 ;;
    --batch-words) BATCH=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --peak-tflops) PEAK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "train_gpu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "train_gpu.sh: give the moemt command after --" >&2; exit 2; }
[[ $PRECISION == float32 || $PRECISION == bfloat16 ]] ||
  { echo "train_gpu.sh: --precision float32 or bfloat16" >&2; exit 2; }
MOEMT=("$@")
case "$SIZE" in
  base) D=512 HEADS=8 FFN=2048 ENC=6 DEC=6 EXPERTS=16 PAIRS=12000 VOCAB=8000
        : "${BATCH:=8192}" "${WARMUP:=5}" "${STEPS:=30}" "${MAX_S:=30}" ;;
  tiny) D=32 HEADS=2 FFN=64 ENC=2 DEC=2 EXPERTS=4 PAIRS=300 VOCAB=400
        : "${BATCH:=512}" "${WARMUP:=1}" "${STEPS:=3}" "${MAX_S:=20}" ;;
  *) echo "train_gpu.sh: --size base or tiny" >&2; exit 2 ;;
esac
[[ $DEVICE == cpu ]] && : "${PEAK:=0}" "${THREADS:=$(nproc)}"
: "${PEAK:=989.4}" "${THREADS:=4}"
export OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

TMP=$(mktemp -d)  # moemt's checkpoint (about 3 GB at --size base with Adam's state): not kept
trap 'rm -rf "$TMP"' EXIT
[[ -n $WORK ]] || WORK=$TMP/work
mkdir -p "$WORK"
REF=$REPO/scripts/bench/torch_ref

# The reference's interpreter: --python, else the first of python3 and Debian's python3 (where
# this machine's torch lives) that imports torch.
if [[ -z $PY ]]; then
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import torch' > /dev/null 2>&1; then PY=$p; break; fi
  done
fi
if [[ -z $DATA ]]; then
  DATA=$WORK/data
  "${PY:-python3}" "$REF/corpus.py" "$DATA" --pairs "$PAIRS" --vocab-size "$VOCAB" --ids >&2
fi
for f in train.eng_Latn train.deu_Latn spm8k.model spm8k.vocab train.ids; do
  [[ -f $DATA/$f ]] || { echo "train_gpu.sh: $DATA/$f missing (torch_ref/corpus.py --ids)" >&2; exit 2; }
done
V=$(wc -l < "$DATA/spm8k.vocab")
model_json="{\"d\": $D, \"heads\": $HEADS, \"dff\": $FFN, \"enc_layers\": $ENC, \"dec_layers\": $DEC, \"experts\": $EXPERTS, \"top_k\": 2, \"every\": 2, \"vocab\": $V, \"mini_batch_words\": $BATCH}"
lines=()
failed() {  # SYSTEM MESSAGE: the line of a system that gave no measure
  python3 -c 'import json, sys; print(json.dumps({"bench": "train_gpu", "system": sys.argv[1],
    "device": sys.argv[2], "failed": sys.argv[3][-300:]}))' "$1" "$DEVICE" "$2"
}

# --- moemt ---------------------------------------------------------------------------------
moemt_precision=float32 precision_flags=()
help=$("${MOEMT[@]}" train --help 2>&1 || true)
if [[ $help == *--precision* ]]; then
  moemt_precision=$PRECISION precision_flags=(--precision "$PRECISION")
elif [[ $PRECISION != float32 ]]; then
  echo "train_gpu.sh: this moemt has no --precision; it trains in float32" >&2
fi
log=$WORK/moemt_train.jsonl
rm -f "$log"
# Stops at the first of warm-up + steps updates and a time limit (still a clean end), and is
# killed a minute past that (a hang must not eat the GPU machine's minutes; the end includes
# writing the checkpoint).
limit_s=$((MAX_S + 30))
t0=$(date +%s.%N)
if timeout $((limit_s + 60)) "${MOEMT[@]}" train --train-sets "$DATA/train.eng_Latn" \
    "$DATA/train.deu_Latn" --vocabs "$DATA/spm8k.model" --model "$TMP/moemt_model" --overwrite \
    --devices "$DEVICE" --cpu-threads "$THREADS" --dim-emb $D --transformer-heads $HEADS \
    --transformer-dim-ffn $FFN --enc-depth $ENC --dec-depth $DEC --transformer-dropout 0.1 \
    --label-smoothing 0.1 --clip-norm 1 --moe --moe-experts $EXPERTS --moe-top-k 2 \
    --moe-every 2 --mini-batch-words "$BATCH" --maxi-batch 100 \
    --after "$((WARMUP + STEPS))u,${limit_s}s" --disp-freq 1u --save-freq 1000000u \
    --log "$log" --log-level warn "${precision_flags[@]}" > "$WORK/moemt_train.out" 2>&1; then
  rc=0
else
  rc=$?
fi
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if line=$(python3 "$REF/summarize.py" moemt-train "$log" "$WARMUP" true "${MOEMT[-1]}" 1 \
    train_gpu "device=$DEVICE" "precision=$moemt_precision" "rc=$rc" "wall_s=$wall" 2>&1); then
  echo "$line"
  lines+=("$line")
else
  failed moemt "rc $rc: $(tail -1 "$WORK/moemt_train.out")"
fi

# --- PyTorch reference ---------------------------------------------------------------------
if [[ -z $PY ]]; then
  echo "{\"bench\":\"train_gpu\",\"system\":\"torch\",\"skipped\":\"no python3 here imports torch\"}"
else
  rc=0
  line=$(timeout $((limit_s + 60)) "$PY" "$REF/train_bench.py" --ids "$DATA/train.ids" \
    --vocab-size "$V" --device "$DEVICE" --precision "$PRECISION" --threads "$THREADS" \
    --dim-emb $D --transformer-heads $HEADS --transformer-dim-ffn $FFN --enc-depth $ENC \
    --dec-depth $DEC --moe --moe-experts $EXPERTS --moe-top-k 2 --moe-every 2 \
    --mini-batch-words "$BATCH" --warmup "$WARMUP" --steps "$STEPS" --max-seconds "$MAX_S" \
    --bench train_gpu 2> "$WORK/torch_train.err") || rc=$?
  if ((rc == 0)); then
    echo "$line"
    lines+=("$line")
  else
    failed torch "rc $rc$( ((rc == 124)) && echo ' (timed out)'): $(tail -1 "$WORK/torch_train.err")"
  fi
fi

((${#lines[@]})) || exit 1
printf '%s\n' "${lines[@]}" | python3 "$REF/summarize.py" train-gpu-summary "$DATA/train.ids" \
  "$PEAK" "$model_json"
((${#lines[@]} == 2))
