#!/usr/bin/env bash
# Quality against compute for a few dense and MoE sizes, each trained for the same wall-clock
# budget on the same corpus and vocabulary, on whatever machine runs it. Writes WORK/pareto.md
# (a table: parameters, active parameters, forward GFLOPs per token, wall seconds of the train
# command and updates, devtest chrF++ and BLEU) and WORK/pareto.svg (devtest chrF++ against forward
# GFLOPs per token, per kind; validation chrF against training minutes, per model), and prints
# one JSON line per model.
#
#   scripts/bench/pareto.sh [--work DIR] [--corpus DIR] [--budget 20m] [--sentences 200]
#       [--threads 2] [--vocab-size 8000] [--valid-freq 200u] [--only NAME,...]
#
# Models (name: kind, shape): dense-s (d 128, ffn 512, 3+3), dense-m (d 256, ffn 1024, 3+3),
# dense-l (d 384, ffn 1536, 4+4), moe-m4 (d 256, 4 experts x 512, top-2, every other FFN:
# the active FLOPs of dense-m), moe-m8 (8 experts x 512, top-2), moe-m8-tgt (moe-m8 with the
# decoder routed by target group, 2 groups). Active FLOPs/token ~ 2 x the parameters a token
# multiplies with (dense parameters, k experts per MoE layer, the output projection; attention
# over positions and embedding lookups left out).
# --corpus: a `moemt corpus build` directory; default: English + de, fr, es from the pinned
# packages (the first quick start's corpus), built into WORK/corpus. A check end to end in about 10 minutes on 2 cores (figures meaningless):
#   scripts/bench/pareto.sh --corpus corpora/sample --budget 60s --sentences 16 \
#       --vocab-size 1000 --valid-freq 20u --only dense-s,moe-m4
set -euo pipefail
cd "$(dirname "$0")/../.."
MOEMT=${MOEMT:-build/bin/moemt}
WORK=runs/pareto CORPUS="" BUDGET=20m SENTENCES=200 THREADS=2 VOCAB=8000 VALID_FREQ=200u ONLY=""
LANGS=(eng_Latn deu_Latn fra_Latn spa_Latn)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --sentences) SENTENCES=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --vocab-size) VOCAB=$2; shift 2 ;;
    --valid-freq) VALID_FREQ=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} OMP_NUM_THREADS=$THREADS
B="python3 scripts/bench/deploy_bench.py"
mkdir -p "$WORK"
if [[ -z $CORPUS ]]; then
  # The corpus the quick start built before it dropped German: English + de, fr, es.
  [[ -f $WORK/corpus/stats.json ]] || "$MOEMT" corpus build --langs de,fr,es --out "$WORK/corpus" \
    --packages corpora/packages.txt --dev-size 200 --devtest-size 500 >&2
  CORPUS=$WORK/corpus
fi
echo "{\"bench\":\"pareto\",\"type\":\"env\",\"budget\":\"$BUDGET\",\"threads\":$THREADS,\"corpus\":\"$CORPUS\",\"load_avg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"nproc\":$(nproc)}"

MOE="--moe --moe-top-k 2 --moe-every 2 --moe-expert-dim-ffn 512"
declare -A KIND=([dense-s]=dense [dense-m]=dense [dense-l]=dense [moe-m4]=moe [moe-m8]=moe [moe-m8-tgt]=moe-hier)
declare -A FLAGS=(
  [dense-s]="--dim-emb 128 --transformer-dim-ffn 512 --enc-depth 3 --dec-depth 3"
  [dense-m]="--dim-emb 256 --transformer-dim-ffn 1024 --enc-depth 3 --dec-depth 3"
  [dense-l]="--dim-emb 384 --transformer-dim-ffn 1536 --enc-depth 4 --dec-depth 4 --transformer-heads 6"
  [moe-m4]="--dim-emb 256 --transformer-dim-ffn 1024 --enc-depth 3 --dec-depth 3 $MOE --moe-experts 4"
  [moe-m8]="--dim-emb 256 --transformer-dim-ffn 1024 --enc-depth 3 --dec-depth 3 $MOE --moe-experts 8"
  [moe-m8-tgt]="--dim-emb 256 --transformer-dim-ffn 1024 --enc-depth 3 --dec-depth 3 $MOE --moe-experts 8 --moe-dec-group-by tgt --moe-groups 2"
)
ORDER=(dense-s dense-m dense-l moe-m4 moe-m8 moe-m8-tgt)
[[ -n $ONLY ]] && IFS=, read -r -a ORDER <<< "$ONLY"
for m in "${ORDER[@]}"; do [[ -n ${FLAGS[$m]:-} ]] || { echo "unknown model $m" >&2; exit 2; }; done

cat > "$WORK/common.yml" <<YML
both-directions: true
vocab-size: $VOCAB
transformer-heads: 4
label-smoothing: 0.1
language-groups: [eng_Latn=Germanic, deu_Latn=Germanic, fra_Latn=Romance, spa_Latn=Romance]
mini-batch-words: 4096
max-length: 96
learn-rate: 0.001
lr-warmup: 300
after: $BUDGET
disp-freq: 10u
valid-freq: $VALID_FREQ
valid-metrics: [chrf]
valid-max-sentences: 100
early-stopping: 0
seed: 1
YML
TRAIN=() VALID=()
for l in "${LANGS[@]:1}"; do
  TRAIN+=("$CORPUS/train/eng_Latn-$l.eng_Latn" "$CORPUS/train/eng_Latn-$l.$l")
  VALID+=("$CORPUS/dev/eng_Latn.dev" "$CORPUS/dev/$l.dev")
done
VOCABS=()
: > "$WORK/rows.jsonl"
for m in "${ORDER[@]}"; do
  if [[ ! -e $WORK/$m.done ]]; then
    rm -rf "${WORK:?}/$m" "$WORK/$m.train.jsonl"
    date +%s.%N > "$WORK/$m.start"
    # shellcheck disable=SC2086
    "$MOEMT" train -c "$WORK/common.yml" --model "$WORK/$m" --cpu-threads "$THREADS" \
      --log "$WORK/$m.train.jsonl" --train-sets "${TRAIN[@]}" --valid-sets "${VALID[@]}" \
      "${VOCABS[@]}" ${FLAGS[$m]} 2> "$WORK/$m.train.log"
    date +%s.%N > "$WORK/$m.end"
    touch "$WORK/$m.done"
  fi
  # Every model after the first reads the first one's vocabulary.
  [[ ${#VOCABS[@]} -eq 0 ]] && VOCABS=(--vocabs "$WORK/$m/vocab.spm")
  "$MOEMT" eval -m "$WORK/$m" --set "$CORPUS" --split devtest --max-sentences "$SENTENCES" -b 4 \
    --cpu-threads "$THREADS" -f json -q > "$WORK/$m.eval.json"
  python3 - "$m" "${KIND[$m]}" <(
    $B flops "$WORK/$m" "$m"; $B curve "$WORK/$m.train.jsonl" "$m" "$(cat "$WORK/$m.start")" "$(cat "$WORK/$m.end")"; $B chrf "$WORK/$m.eval.json" "$m"
  ) <<'PY' | tee -a "$WORK/rows.jsonl"
import json, sys
row = {"bench": "pareto", "label": sys.argv[1], "kind": sys.argv[2]}
for line in open(sys.argv[3]):
    row.update(json.loads(line))
print(json.dumps(row))
PY
done
$B plot "$WORK/rows.jsonl" "$WORK/pareto.md" "$WORK/pareto.svg"
cat "$WORK/pareto.md" >&2
echo "{\"bench\":\"pareto\",\"type\":\"files\",\"table\":\"$WORK/pareto.md\",\"plot\":\"$WORK/pareto.svg\"}"
