#!/usr/bin/env bash
# Short-budget defaults, measured: trains the quick start recipe's model
# (examples/recipes/quickstart.yaml, its train section as a -c config) at equal wall-clock
# budget for each point of a small grid over the learning rate, warm-up, batch size, dropout
# and label smoothing, and scores each with `moemt eval` (beam 4) on the corpus's devtest.
# The grid is one factor at a time around the recipe's values (a full product of five
# factors is too many runs for 2 cores). One JSON line per point, then the best point.
#
#   scripts/bench/defaults_sweep.sh [--budget 10m] [--corpus DIR] [--eval-lines 200]
#        [--learn-rates "0.0005 0.001 0.002"] [--warmups "100 300 1000"]
#        [--batches "2048 4096 8192"] [--dropouts "0 0.1 0.2"] [--label-smoothings "0 0.1"]
#        [--threads 2] [--moemt PATH] [--work DIR]
#
# Data: the corpus built by the recipe's corpus section (English + de, fr, es from the pinned
# packages, dev 200, devtest 500) into WORK/corpus unless --corpus names one. The
# sentencepiece model is trained once (the recipe's vocabulary settings) and shared by every
# point, so its minute is not part of any budget. Each point: `moemt train -c recipe.yml
# --after BUDGET` (flags override the recipe; no validation, no periodic save), then
# `moemt eval` on the first --eval-lines devtest lines of every en->X and X->en direction with
# the recipe's eval settings (beam 4, max-length-factor 1.5).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUDGET=10m CORPUS="" EVAL_LINES=200 THREADS=2
LRS="0.0005 0.001 0.002" WARMUPS="100 300 1000" BATCHES="2048 4096 8192"
DROPOUTS="0 0.1 0.2" SMOOTHINGS="0 0.1"
RECIPE=examples/recipes/quickstart.yaml
MOEMT=${MOEMT:-build/bin/moemt}
WORK=${TMPDIR:-/tmp}/moemt_defaults_sweep
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) BUDGET=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --eval-lines) EVAL_LINES=$2; shift 2 ;;
    --learn-rates) LRS=$2; shift 2 ;;
    --warmups) WARMUPS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --dropouts) DROPOUTS=$2; shift 2 ;;
    --label-smoothings) SMOOTHINGS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x $MOEMT ]] || { echo "no moemt binary at $MOEMT (build it or pass --moemt)" >&2; exit 2; }
PY=/usr/bin/python3
mkdir -p "$WORK"
export OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The recipe's train section as a -c file; its languages, corpus settings and base values.
read -r LANGS DEV DEVTEST BASE_LR BASE_WU BASE_MBW BASE_DO BASE_LS < <($PY - "$RECIPE" "$WORK/recipe.yml" <<'PY'
import sys, yaml
r = yaml.safe_load(open(sys.argv[1]))
t = r["train"]
with open(sys.argv[2], "w") as f:
    yaml.safe_dump(t, f)
c = r.get("corpus", {})
print(",".join(l for l in r["languages"] if l != "eng_Latn"), c.get("dev-size", 500),
      c.get("devtest-size", 500), t["learn-rate"], t["lr-warmup"], t["mini-batch-words"],
      t["transformer-dropout"], t["label-smoothing"])
PY
)
echo "{\"bench\":\"defaults_sweep\",\"measure\":\"env\",\"recipe\":\"$RECIPE\",\"budget\":\"$BUDGET\",\"threads\":$THREADS,\"nproc\":$(nproc),\"eval_lines\":$EVAL_LINES,\"base\":{\"learn_rate\":$BASE_LR,\"lr_warmup\":$BASE_WU,\"mini_batch_words\":$BASE_MBW,\"dropout\":$BASE_DO,\"label_smoothing\":$BASE_LS},\"loadavg\":\"$(loadavg)\"}"

if [[ -z $CORPUS ]]; then
  CORPUS=$WORK/corpus
  [[ -s $CORPUS/stats.json ]] ||
    "$MOEMT" corpus build --langs "$LANGS" --packages corpora/packages.txt --dev-size "$DEV" \
      --devtest-size "$DEVTEST" --out "$CORPUS" >&2
fi
SETS=()
IFS=, read -r -a langs <<< "$LANGS"
for l in "${langs[@]}"; do
  SETS+=("$CORPUS/train/eng_Latn-$l.eng_Latn" "$CORPUS/train/eng_Latn-$l.$l")
done
TRAIN=("$MOEMT" train -c "$WORK/recipe.yml" --train-sets "${SETS[@]}" --cpu-threads "$THREADS"
  --log-level warn)
# One vocabulary for every point (a one-update run trains and saves it).
VOCAB=$WORK/vocab/vocab.spm
[[ -s $VOCAB ]] || "${TRAIN[@]}" --model "$WORK/vocab" --overwrite --after 1u \
  --save-freq 100000000u > "$WORK/vocab.out" 2>&1 ||
  { echo "vocabulary training failed, see $WORK/vocab.out" >&2; exit 1; }

# Points: the recipe's values, then each other value of one factor with the rest at base.
points=("$BASE_LR $BASE_WU $BASE_MBW $BASE_DO $BASE_LS")
for v in $LRS; do [[ $v == "$BASE_LR" ]] || points+=("$v $BASE_WU $BASE_MBW $BASE_DO $BASE_LS"); done
for v in $WARMUPS; do [[ $v == "$BASE_WU" ]] || points+=("$BASE_LR $v $BASE_MBW $BASE_DO $BASE_LS"); done
for v in $BATCHES; do [[ $v == "$BASE_MBW" ]] || points+=("$BASE_LR $BASE_WU $v $BASE_DO $BASE_LS"); done
for v in $DROPOUTS; do [[ $v == "$BASE_DO" ]] || points+=("$BASE_LR $BASE_WU $BASE_MBW $v $BASE_LS"); done
for v in $SMOOTHINGS; do [[ $v == "$BASE_LS" ]] || points+=("$BASE_LR $BASE_WU $BASE_MBW $BASE_DO $v"); done

lines=()
for i in "${!points[@]}"; do
  read -r lr wu mbw dropout ls <<< "${points[i]}"
  dir=$WORK/point$i log=$WORK/point$i.jsonl
  rm -f "$log"
  load=$(loadavg)
  "${TRAIN[@]}" --vocabs "$VOCAB" --model "$dir" --overwrite --after "$BUDGET" \
    --save-freq 100000000u --disp-freq 1u --log "$log" --learn-rate "$lr" --lr-warmup "$wu" \
    --mini-batch-words "$mbw" --transformer-dropout "$dropout" --label-smoothing "$ls" \
    > "$WORK/point$i.out" 2>&1 || { echo "point $i failed, see $WORK/point$i.out" >&2; exit 1; }
  "$MOEMT" eval -m "$dir" --set "$CORPUS" --split devtest --directions en-x,x-en \
    --max-sentences "$EVAL_LINES" -b 4 --max-length-factor 1.5 --cpu-threads "$THREADS" \
    -f json -q > "$WORK/point$i.eval.json" 2>> "$WORK/point$i.out"
  line=$($PY - "$log" "$dir/state.json" "$WORK/point$i.eval.json" "$i" "$lr" "$wu" "$mbw" \
    "$dropout" "$ls" "$BUDGET" "$load" <<'PY'
import json, sys
log, state, ev, i, lr, wu, mbw, do, ls, budget, load = sys.argv[1:]
recs = [r for r in (json.loads(l) for l in open(log) if l.strip()) if r.get("type") == "train"]
toks = sum(r["src_tokens"] + r["tgt_tokens"] for r in recs)
secs = sum(r["seconds"] for r in recs)
avg = {a["name"]: a for a in json.load(open(ev))["averages"]}["all"]
print(json.dumps({"bench": "defaults_sweep", "point": int(i), "learn_rate": float(lr),
                  "lr_warmup": int(wu), "mini_batch_words": int(mbw), "dropout": float(do),
                  "label_smoothing": float(ls), "budget": budget,
                  "updates": json.load(open(state))["updates"],
                  "tokens_per_s": round(toks / secs, 1) if secs else None,
                  "loss_last": round(recs[-1]["loss"], 3) if recs else None,
                  "directions": avg["directions"], "chrf++": round(avg["chrf++"], 2),
                  "bleu": round(avg["bleu"], 2),
                  "loadavg_before": load}))
PY
)
  echo "$line"
  lines+=("$line")
done
printf '%s\n' "${lines[@]}" | $PY -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
best = max(rows, key=lambda r: r["chrf++"])
print(json.dumps({"bench": "defaults_sweep", "measure": "best", "point": best["point"],
                  "chrf++": best["chrf++"], "base_chrf++": rows[0]["chrf++"],
                  **{k: best[k] for k in ("learn_rate", "lr_warmup", "mini_batch_words",
                                          "dropout", "label_smoothing")}}))
'
