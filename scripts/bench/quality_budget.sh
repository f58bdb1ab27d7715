#!/usr/bin/env bash
# Quality at equal wall-clock budget: moemt and the PyTorch reference (torch_ref/) train the
# same model on the same data with the same vocabulary and schedule for the same time, then
# translate with beam 4; both are scored by `moemt score` (chrF++, BLEU). One JSON line per
# training run, per (system, model, test set, direction) score, and per difference.
#
#   scripts/bench/quality_budget.sh [--budget 30m] [--models dense,moe] [--corpus DIR]
#        [--flores DIR] [--eval-lines N] [--threads 2] [--learn-rate 0.002] [--lr-warmup 300]
#        [--mini-batch-words 2048] [--max-length 96] [--vocab-size 4000] [--moemt PATH]
#        [--work DIR]
#
# Data: English-Spanish from the corpus builder (`moemt corpus build --langs es` with the
# pinned packages into WORK/corpus unless --corpus names a built corpus), trained in both
# directions; one sentencepiece model (torch_ref/data.py's spm_train recipe: moemt's special
# ids and language tags) that both systems use (moemt: --vocabs).
# Model (both): d_model 256, 4 heads, ffn 1024, 3+3 layers, tied embeddings, dropout 0.1,
# label smoothing 0.1, Adam (0.9, 0.98, 1e-9), clip-norm 1, linear warm-up then 1/sqrt decay;
# moe: 8 experts, top-2, every other layer, capacity factor 1.25, switch loss 0.01, z-loss
# 0.001, dropless decoding. The schedule defaults are the quick start recipe's.
# Budget: --budget (90s, 30m, 2h) of training per run, data loading excluded; moemt gets
# `--after BUDGET` and no validation or periodic save.
# Test sets: the corpus's devtest, and FLORES-200 devtest when --flores (default
# ../shared/data/flores200 next to the repository) exists; eng->spa and spa->eng; the first
# --eval-lines lines (default all). Translation: beam 4, normalisation 0.6, at most
# 3 x source length (moemt translate's defaults; the reference follows its rules).
# Runs in ABBA order (moemt dense, torch dense, torch moe, moemt moe) so that a load trend on
# the shared machine hits both systems alike.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUDGET=30m MODELS=dense,moe CORPUS="" FLORES=$REPO/../shared/data/flores200 EVAL_LINES=0
THREADS=2 LR=0.002 WARMUP=300 MBW=2048 MAXLEN=96 VOCAB=4000
MOEMT=${MOEMT:-build/bin/moemt}
WORK=${TMPDIR:-/tmp}/moemt_quality_budget
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) BUDGET=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --flores) FLORES=$2; shift 2 ;;
    --eval-lines) EVAL_LINES=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --learn-rate) LR=$2; shift 2 ;;
    --lr-warmup) WARMUP=$2; shift 2 ;;
    --mini-batch-words) MBW=$2; shift 2 ;;
    --max-length) MAXLEN=$2; shift 2 ;;
    --vocab-size) VOCAB=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$BUDGET" in
  *h) BUDGET_S=$((${BUDGET%h} * 3600)) ;;
  *m) BUDGET_S=$((${BUDGET%m} * 60)) ;;
  *s) BUDGET_S=${BUDGET%s} ;;
  *) echo "--budget: use 90s, 30m or 2h, not '$BUDGET'" >&2; exit 2 ;;
esac
[[ -x $MOEMT ]] || { echo "no moemt binary at $MOEMT (build it or pass --moemt)" >&2; exit 2; }
MOEMT=$(realpath "$MOEMT")

# shellcheck source=scripts/bench/reference_env.sh
source "$REPO/scripts/bench/reference_env.sh"
mkdir -p "$WORK"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"bench\":\"quality_budget\",\"measure\":\"env\",\"budget_s\":$BUDGET_S,\"models\":\"$MODELS\",\"threads\":$THREADS,\"nproc\":$(nproc),\"learn_rate\":$LR,\"lr_warmup\":$WARMUP,\"mini_batch_words\":$MBW,\"max_length\":$MAXLEN,\"vocab_size\":$VOCAB,\"eval_lines\":$EVAL_LINES,\"loadavg\":\"$(loadavg)\"}"

# --- data and vocabulary -----------------------------------------------------------------
if [[ -z $CORPUS ]]; then
  CORPUS=$WORK/corpus
  [[ -s $CORPUS/train/eng_Latn-spa_Latn.spa_Latn ]] ||
    "$MOEMT" corpus build --langs es --packages corpora/packages.txt --out "$CORPUS" >&2
fi
SRC=$CORPUS/train/eng_Latn-spa_Latn.eng_Latn TGT=$CORPUS/train/eng_Latn-spa_Latn.spa_Latn
[[ -s $SRC && -s $TGT ]] || { echo "$CORPUS has no English-Spanish training pair" >&2; exit 2; }
SPM=$($PY - "$SRC" "$TGT" "$WORK/spm$VOCAB" "$VOCAB" <<'PY'
import sys
sys.path.insert(0, "scripts/bench/torch_ref")
import data
print(data.train_spm(sys.argv[1:3], sys.argv[3], int(sys.argv[4]), ["eng_Latn", "spa_Latn"]))
PY
)
# Test sets: NAME DIR SUFFIX; each is read in both directions.
sets=("corpus-devtest $CORPUS/devtest devtest")
[[ -s $FLORES/devtest/eng_Latn.devtest ]] && sets+=("flores200-devtest $FLORES/devtest devtest")
directions=("eng_Latn spa_Latn" "spa_Latn eng_Latn")
EVAL=$WORK/eval
mkdir -p "$EVAL"
for s in "${sets[@]}"; do
  read -r name dir suffix <<< "$s"
  for lang in eng_Latn spa_Latn; do
    if ((EVAL_LINES > 0)); then head -n "$EVAL_LINES" "$dir/$lang.$suffix"; else cat "$dir/$lang.$suffix"; fi > "$EVAL/$name.$lang"
  done
done

# --- training and translation ------------------------------------------------------------
MODEL_FLAGS=(--dim-emb 256 --transformer-heads 4 --transformer-dim-ffn 1024 --enc-depth 3
  --dec-depth 3 --transformer-dropout 0.1 --label-smoothing 0.1 --clip-norm 1
  --optimizer-params 0.9 0.98 1e-9)
MOE_FLAGS=(--moe --moe-experts 8 --moe-top-k 2 --moe-every 2 --moe-capacity-factor 1.25
  --moe-switch-loss 0.01 --moe-z-loss 0.001)
run_moemt() {  # $1 = dense|moe; prints the training line
  local model=$1 dir=$WORK/moemt_$1 log=$WORK/moemt_$1.jsonl flags=()
  [[ $model == moe ]] && flags=("${MOE_FLAGS[@]}")
  rm -f "$log"
  "$MOEMT" train --train-sets "$SRC" "$TGT" --both-directions --vocabs "$SPM" --model "$dir" \
    --overwrite "${MODEL_FLAGS[@]}" "${flags[@]}" --learn-rate "$LR" --lr-warmup "$WARMUP" \
    --mini-batch-words "$MBW" --max-length "$MAXLEN" --cpu-threads "$THREADS" \
    --after "${BUDGET_S}s" --disp-freq 1u --save-freq 100000000u --log "$log" \
    --log-level warn > "$WORK/moemt_$model.out" 2>&1 ||
    { echo "moemt train failed, see $WORK/moemt_$model.out" >&2; exit 1; }
  local t0=$SECONDS
  for s in "${sets[@]}"; do
    read -r name _ _ <<< "$s"
    for d in "${directions[@]}"; do
      read -r from to <<< "$d"
      "$MOEMT" translate -m "$dir" --to "$to" -b 4 --cpu-threads "$THREADS" --quiet \
        -i "$EVAL/$name.$from" -o "$EVAL/moemt_$model.$name.$from-$to" 2>> "$WORK/moemt_$model.out"
    done
  done
  $PY - "$log" "$dir/state.json" "$model" "$BUDGET_S" "$((SECONDS - t0))" <<'PY'
import json, sys
log, state, model, budget, tr = sys.argv[1:]
recs = [json.loads(l) for l in open(log) if l.strip()]
recs = [r for r in recs if r.get("type") == "train"]
toks = sum(r["src_tokens"] + r["tgt_tokens"] for r in recs)
secs = sum(r["seconds"] for r in recs)
st = json.load(open(state))
print(json.dumps({"bench": "quality_budget", "system": "moemt", "moe": model == "moe",
                  "budget_s": float(budget), "updates": st["updates"],
                  "train_seconds_logged": round(secs, 1),
                  "tokens_per_s": round(toks / secs, 1) if secs else None,
                  "epochs": st.get("epochs"),
                  "loss_last": round(recs[-1]["loss"], 3) if recs else None,
                  "translate_seconds": int(tr)}))
PY
}
run_torch() {  # $1 = dense|moe
  local model=$1 flags=() tr=()
  [[ $model == moe ]] && flags=(--moe)
  for s in "${sets[@]}"; do
    read -r name _ _ <<< "$s"
    for d in "${directions[@]}"; do
      read -r from to <<< "$d"
      tr+=(--translate "$EVAL/$name.$from" "$EVAL/torch_$model.$name.$from-$to" "$to")
    done
  done
  $PY "$REPO/scripts/bench/torch_ref/budget_train.py" \
    --pair "$SRC" "$TGT" eng_Latn spa_Latn --both-directions --spm "$SPM" \
    --budget-s "$BUDGET_S" "${flags[@]}" --learn-rate "$LR" --lr-warmup "$WARMUP" \
    --mini-batch-words "$MBW" --max-length "$MAXLEN" --threads "$THREADS" "${tr[@]}" \
    2> "$WORK/torch_$model.err" || { echo "torch reference failed, see $WORK/torch_$model.err" >&2; exit 1; }
}
score() {  # $1 = system, $2 = model: one line per test set and direction
  for s in "${sets[@]}"; do
    read -r name _ _ <<< "$s"
    for d in "${directions[@]}"; do
      read -r from to <<< "$d"
      local hyp=$EVAL/$1_$2.$name.$from-$to
      mapfile -t v < <("$MOEMT" score "$EVAL/$name.$to" -i "$hyp" -m bleu chrf --chrf-word-order 2 -b)
      echo "{\"bench\":\"quality_budget\",\"measure\":\"score\",\"system\":\"$1\",\"model\":\"$2\",\"set\":\"$name\",\"direction\":\"$from-$to\",\"lines\":$(wc -l < "$hyp"),\"bleu\":${v[0]},\"chrf++\":${v[1]}}"
    done
  done
}

IFS=, read -r -a models <<< "$MODELS"
order=()
for i in "${!models[@]}"; do
  if ((i % 2 == 0)); then order+=("moemt ${models[i]}" "torch ${models[i]}")
  else order+=("torch ${models[i]}" "moemt ${models[i]}"); fi
done
scores=()
for run in "${order[@]}"; do
  read -r system model <<< "$run"
  echo "{\"bench\":\"quality_budget\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
  "run_$system" "$model"
  while IFS= read -r line; do echo "$line"; scores+=("$line"); done < <(score "$system" "$model")
done
echo "{\"bench\":\"quality_budget\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
# moemt minus the reference per model, test set and direction, and their mean per model.
printf '%s\n' "${scores[@]}" | $PY -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
by = {(r["system"], r["model"], r["set"], r["direction"]): r for r in rows}
for model in dict.fromkeys(r["model"] for r in rows):
    diffs = []
    for (system, m, s, d), a in by.items():
        b = by.get(("torch", m, s, d))
        if system != "moemt" or m != model or b is None:
            continue
        diff = {"chrf++": round(a["chrf++"] - b["chrf++"], 2), "bleu": round(a["bleu"] - b["bleu"], 2)}
        diffs.append(diff)
        print(json.dumps({"bench": "quality_budget", "measure": "difference", "model": model,
                          "set": s, "direction": d, "moemt_chrf++": a["chrf++"],
                          "torch_chrf++": b["chrf++"], "chrf++_moemt_minus_torch": diff["chrf++"],
                          "bleu_moemt_minus_torch": diff["bleu"]}))
    if diffs:
        print(json.dumps({"bench": "quality_budget", "measure": "difference_mean", "model": model,
                          "pairs": len(diffs),
                          "chrf++_moemt_minus_torch": round(sum(x["chrf++"] for x in diffs) / len(diffs), 2),
                          "bleu_moemt_minus_torch": round(sum(x["bleu"] for x in diffs) / len(diffs), 2),
                          "goal": "moemt >= torch + 3 chrF++"}))
'
