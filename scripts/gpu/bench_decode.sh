#!/usr/bin/env bash
# Decoding speed of `moemt translate` on one device: tokens/s greedy and beam 4, at batch 1 and
# batch 64, one JSON line per measure (issue #11's decoding benchmark; scripts/gpu/check.sh runs
# it on cuda:0 from the bundle, ctest runs it at --size tiny on the CPU as bench.gpu_smoke).
#
#   scripts/gpu/bench_decode.sh [--device cuda:0] [--size base|tiny] [--length 64]
#       [--sentences-b1 16] [--updates 4] [--work DIR] [--model DIR] -- MOEMT [ARGS...]
#
# MOEMT [ARGS...]: how to run moemt (check.sh passes the bundled dynamic loader and binary).
# Model: unless --model names one, `moemt train` makes one on the committed sample (eng<->deu)
# for --updates updates on the same device (on the CPU if that fails: the JSON says where).
# --size base is the issue's transformer-base MoE (d 512, 8 heads, ffn 2048, 6+6 layers, 16
# experts top-2 in every other layer; vocabulary 8000 requested, what sentencepiece gets from
# the sample is printed); tiny is d 32, 1+1 layers, 4 experts. Such weights give arbitrary
# output lengths, so every sentence is forced to exactly --length tokens (--min-length =
# --max-length). tokens/s = sentences x length / (wall time of the run - wall time of the same
# command on an empty input, i.e. process start and model load); batch 1 translates
# --sentences-b1 sentences one at a time, batch 64 one batch of 64 (--mini-batch-words lifted).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=cuda:0 SIZE=base LENGTH=64 S1=16 UPDATES=4 WORK="" MODEL=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --length) LENGTH=$2; shift 2 ;;
    --sentences-b1) S1=$2; shift 2 ;;
    --updates) UPDATES=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "bench_decode.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "bench_decode.sh: give the moemt command after --" >&2; exit 2; }
MOEMT=("$@")
if [[ -z $WORK ]]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
now() { date +%s.%N; }
S=corpora/sample/train

case "$SIZE" in
  base) model_yml="vocab-size: 8000
dim-emb: 512
transformer-heads: 8
transformer-dim-ffn: 2048
enc-depth: 6
dec-depth: 6
moe: true
moe-experts: 16
moe-every: 2
mini-batch-words: 2000" ;;
  tiny) model_yml="vocab-size: 500
dim-emb: 32
transformer-heads: 2
transformer-dim-ffn: 64
enc-depth: 1
dec-depth: 1
moe: true
moe-experts: 4
moe-every: 1
mini-batch-words: 400" ;;
  *) echo "bench_decode.sh: --size base or tiny" >&2; exit 2 ;;
esac

trained_on=given
if [[ -z $MODEL ]]; then
  MODEL=$WORK/model
  printf '%s\nlearn-rate: 0.0003\nlr-warmup: 1\nafter: %su\n' "$model_yml" "$UPDATES" > "$WORK/model.yml"
  train() {
    rm -rf "$MODEL"
    "${MOEMT[@]}" train -c "$WORK/model.yml" --model "$MODEL" --devices "$1" --both-directions \
      --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn > "$WORK/train.log" 2>&1
  }
  t0=$(now)
  if train "$DEVICE"; then
    trained_on=$DEVICE
  else
    echo "bench_decode.sh: training on $DEVICE failed ($(tail -1 "$WORK/train.log")); training on the CPU" >&2
    train cpu || { tail -5 "$WORK/train.log" >&2; exit 1; }
    trained_on=cpu
  fi
  train_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
  echo "{\"bench\":\"decode_model\",\"size\":\"$SIZE\",\"trained_on\":\"$trained_on\",\"updates\":$UPDATES,\"train_seconds\":$train_s,\"vocab\":$(awk '/^vocab-size:/ {print $2}' "$MODEL/config.yml")}"
fi

# Inputs: the sample's English devtest sentences, repeated as needed.
src=corpora/sample/devtest/eng_Latn.devtest
lines() { awk -v n="$1" '{ a[NR] = $0 } END { for (i = 0; i < n; ++i) print a[i % NR + 1] }' "$src"; }
translate() {  # beam batch input output
  "${MOEMT[@]}" translate -m "$MODEL" --to de --devices "$DEVICE" -b "$1" --mini-batch "$2" \
    --maxi-batch 1 --mini-batch-words 10000000 --min-length "$LENGTH" --max-length "$LENGTH" \
    --max-length-factor 1000 --quiet < "$3" > "$4"
}
: > "$WORK/empty.txt"
for batch in 1 64; do
  n=$([[ $batch == 1 ]] && echo "$S1" || echo 64)
  lines "$n" > "$WORK/in.$batch.txt"
  for beam in 1 4; do
    t0=$(now)
    translate "$beam" "$batch" "$WORK/empty.txt" "$WORK/out.empty"
    t1=$(now)
    translate "$beam" "$batch" "$WORK/in.$batch.txt" "$WORK/out.$batch.$beam"
    t2=$(now)
    got=$(wc -l < "$WORK/out.$batch.$beam")
    [[ $got -eq $n ]] || { echo "bench_decode.sh: $got output lines for $n inputs" >&2; exit 1; }
    # Seconds with three decimals; tokens/s null where noise left no decoding time to divide by.
    awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v n="$n" -v len="$LENGTH" -v beam="$beam" \
      -v batch="$batch" -v dev="$DEVICE" -v size="$SIZE" 'BEGIN {
        load = t1 - t0; run = t2 - t1; dec = run - load
        printf "{\"bench\":\"decode\",\"device\":\"%s\",\"size\":\"%s\",\"beam\":%d,\"batch\":%d,", dev, size, beam, batch
        printf "\"sentences\":%d,\"length\":%d,\"tokens\":%d,\"run_seconds\":%.3f,", n, len, n * len, run
        tps = "null"
        if (dec > 0) tps = sprintf("%.1f", n * len / dec)
        printf "\"load_seconds\":%.3f,\"tokens_per_s\":%s}\n", load, tps
      }'
  done
done
