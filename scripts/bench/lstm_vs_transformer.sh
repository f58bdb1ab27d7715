#!/usr/bin/env bash
# LSTM-MoE (examples/recipes/lstm-moe.yaml) vs Transformer-MoE (examples/recipes/quickstart.yaml)
# on the quick-start languages with the same wall-clock training budget (`--after <time>` for
# both, validation and saving included), on the same corpus, one after the other on the same
# cores. Prints one JSON line per model: training source+target tokens/s (display records), the
# valid cross-entropy curve (ce-mean-words and chrF of greedy output per validation, with its
# update and wall-clock seconds into training) from the training log, and devtest chrF++ / BLEU
# averages from `moemt eval`.
# Usage: scripts/bench/lstm_vs_transformer.sh [--budget 30m] [--valid-freq 300u]
#          [--disp-freq 50u] [--eval-sentences 200] [--cpu-threads 0] [--out runs/lstm_vs_transformer]
# Resumable per step (corpus, train, eval are skipped when done); a new budget needs a new --out.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUDGET=30m VALID_FREQ=300u DISP_FREQ=50u EVAL_SENTENCES=200 THREADS=0 WORK=runs/lstm_vs_transformer
while [[ $# -gt 0 ]]; do
  case $1 in
    --budget) BUDGET=$2; shift 2 ;;
    --valid-freq) VALID_FREQ=$2; shift 2 ;;
    --disp-freq) DISP_FREQ=$2; shift 2 ;;
    --eval-sentences) EVAL_SENTENCES=$2; shift 2 ;;
    --cpu-threads) THREADS=$2; shift 2 ;;
    --out) WORK=$2; shift 2 ;;
    *) echo "usage: $0 [--budget 30m] [--valid-freq 300u] [--disp-freq 50u] [--eval-sentences 200]" \
            "[--cpu-threads N] [--out DIR]" >&2
       exit 2 ;;
  esac
done
[[ $BUDGET =~ ^[0-9]+[smh]$ ]] || { echo "$0: --budget must be a time such as 90s, 30m or 2h" >&2; exit 2; }
for f in "$VALID_FREQ" "$DISP_FREQ"; do
  [[ $f =~ ^[0-9]+u$ ]] || { echo "$0: --valid-freq and --disp-freq take updates, such as 300u" >&2; exit 2; }
done
[[ $EVAL_SENTENCES =~ ^[0-9]+$ ]] || { echo "$0: --eval-sentences must be a number" >&2; exit 2; }
MOEMT=${MOEMT:-build/bin/moemt}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$WORK"

# The two recipes with the budget, the validation, save and display intervals and the eval size
# replaced (`after: 900u` becomes the time budget; everything else is the recipe's). Tokens/s
# come from the display records, so a short budget needs a short --disp-freq.
derive() {  # SRC DST
  sed -E -e "s/^(  after:).*/\1 $BUDGET/" -e "s/^(  valid-freq:).*/\1 $VALID_FREQ/" \
         -e "s/^(  save-freq:).*/\1 $VALID_FREQ/" -e "s/^(  disp-freq:).*/\1 $DISP_FREQ/" \
         -e "s/^(  max-sentences:).*/\1 $EVAL_SENTENCES/" \
         -e "s/^name: .*/name: $(basename "$2" .yaml)/" "$1" > "$2.tmp"
  grep -q "^  after: $BUDGET\$" "$2.tmp" || { echo "$0: $1 has no '  after:' line" >&2; exit 1; }
  mv "$2.tmp" "$2"
}
derive examples/recipes/quickstart.yaml "$WORK/transformer-moe.yaml"
derive examples/recipes/lstm-moe.yaml "$WORK/lstm-moe.yaml"

# One corpus for both (the recipes' corpus sections are the same).
mkdir -p "$WORK/transformer-moe" "$WORK/lstm-moe"
"$MOEMT" recipe "$WORK/transformer-moe.yaml" --out "$WORK/transformer-moe" --steps corpus \
  --cpu-threads "$THREADS"
[[ -e "$WORK/lstm-moe/corpus" ]] || ln -s "$(cd "$WORK/transformer-moe" && pwd)/corpus" "$WORK/lstm-moe/corpus"

for m in transformer-moe lstm-moe; do
  "$MOEMT" recipe "$WORK/$m.yaml" --out "$WORK/$m" --steps train eval --cpu-threads "$THREADS" \
    > "$WORK/$m.table.md"
done

for m in transformer-moe lstm-moe; do
  python3 - "$WORK/$m" "$m" "$BUDGET" "$THREADS" <<'PY'
import json, os, sys
d, name, budget, threads = sys.argv[1:5]
train, valid = [], []
for line in open(os.path.join(d, "train.jsonl")):
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    (train if r.get("type") == "train" else valid if r.get("type") == "valid" else []).append(r)
secs = sum(r["seconds"] for r in train)
toks = sum(r["src_tokens"] + r["tgt_tokens"] for r in train)
# Wall-clock seconds since training started (what --after counts, validations included): the
# first display record's time less its interval.
t0 = train[0]["time"] - train[0]["seconds"] if train and "time" in train[0] else None
curve = []
for v in valid:
    point = {"update": v["update"]}
    if t0 is not None and "time" in v:
        point["wall_seconds"] = round(v["time"] - t0, 1)
    point["ce_mean_words"] = v.get("ce-mean-words")
    point["chrf"] = v.get("chrf")
    curve.append(point)
rep = json.load(open(os.path.join(d, "eval", "report.json")))
out = {"bench": "lstm_vs_transformer", "model": name, "budget": budget, "cpu_threads": int(threads),
       "updates": max([r["update"] for r in train + valid], default=0),
       "train_tokens_per_s": round(toks / secs, 1) if secs > 0 else None,
       "valid_ce": curve}
avgs = {a.get("name", "avg"): {k: a[k] for k in ("chrf++", "bleu") if k in a}
        for a in rep.get("averages", [])}
out["devtest_chrf++"] = avgs.get("all", {}).get("chrf++")
out["devtest_averages"] = avgs
out["loadavg"] = open("/proc/loadavg").read().split()[:3]
print(json.dumps(out, ensure_ascii=False))
PY
done
