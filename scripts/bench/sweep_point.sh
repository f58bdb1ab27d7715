#!/usr/bin/env bash
# One point of a quick-start sweep: trains the quick start's model (the train section of
# --recipe, default examples/recipes/quickstart.yaml) on the English-X pairs of --langs from an
# existing `moemt corpus build` directory, with the options after `--` overriding the recipe's
# (e.g. --after 36m --mini-batch-words 2048 --vocab-size 4000), then scores it like the recipe
# (`moemt eval`, devtest, en->X and X->en, first 200 lines, beam 4, max-length-factor 1.5) and
# prints one line of settings plus the eval table. Periodic validation and saves are off, so
# the budget goes to training (the trainer still validates and saves at its end).
#
#   scripts/bench/sweep_point.sh --corpus DIR --out DIR [--langs fr,es] [--threads 1]
#       [--recipe FILE] [--moemt PATH] -- TRAIN_OPTIONS...
#
# Two points started at the same time with --threads 1 each share the 2 cores evenly, so a
# wall-clock budget (--after 30m) is equal between them even when other jobs load the machine;
# points run at different times compare only by an amount of data (--after 2500kt).
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS="" OUT="" LANGS=fr,es THREADS=1 RECIPE=examples/recipes/quickstart.yaml
MOEMT=${MOEMT:-build/bin/moemt}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --corpus) CORPUS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --langs) LANGS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --recipe) RECIPE=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "sweep_point.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -n $CORPUS && -n $OUT ]] || { echo "sweep_point.sh: --corpus and --out are required" >&2; exit 2; }
[[ -d $CORPUS/train ]] || { echo "sweep_point.sh: $CORPUS/train: no such directory" >&2; exit 2; }
[[ -x $MOEMT ]] || { echo "sweep_point.sh: no moemt binary at $MOEMT" >&2; exit 2; }
declare -A ISO=([de]=deu_Latn [fr]=fra_Latn [es]=spa_Latn [it]=ita_Latn [pt]=por_Latn
                [nl]=nld_Latn [pl]=pol_Latn [cs]=ces_Latn [ru]=rus_Cyrl [uk]=ukr_Cyrl)
declare -A GROUP=([de]=Germanic [nl]=Germanic [fr]=Romance [es]=Romance [it]=Romance
                  [pt]=Romance [pl]=Slavic [cs]=Slavic [ru]=Slavic [uk]=Slavic)
mkdir -p "$OUT"
train=() valid=() groups=(eng_Latn=Germanic)
for l in ${LANGS//,/ }; do
  L=${ISO[$l]:?sweep_point.sh: unknown language code $l}
  train+=("$CORPUS/train/eng_Latn-$L.eng_Latn" "$CORPUS/train/eng_Latn-$L.$L")
  valid+=("$CORPUS/dev/eng_Latn.dev" "$CORPUS/dev/$L.dev")
  groups+=("$L=${GROUP[$l]}")
done
# The recipe's train section without its budget, cadence and groups (set here).
python3 - "$RECIPE" "$OUT/base.yml" "$(IFS=,; echo "${groups[*]}")" <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))["train"]
for k in ("after", "disp-freq", "valid-freq", "save-freq", "language-groups"):
    t.pop(k, None)
t["language-groups"] = sys.argv[3].split(",")
yaml.safe_dump(t, open(sys.argv[2], "w"))
PY
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
start=$(date +%s)
"$MOEMT" train -c "$OUT/base.yml" --model "$OUT/model" --cpu-threads "$THREADS" \
  --log "$OUT/train.jsonl" --train-sets "${train[@]}" --valid-sets "${valid[@]}" \
  --disp-freq 100u --valid-freq 100000u --save-freq 100000u "$@" > "$OUT/train.log" 2>&1 ||
  { echo "sweep_point.sh: training failed (log: $OUT/train.log)" >&2; tail -n 3 "$OUT/train.log" >&2; exit 1; }
mid=$(date +%s)
"$MOEMT" eval -m "$OUT/model" --set "$CORPUS" --cpu-threads "$THREADS" -o "$OUT/eval" \
  --split devtest --directions en-x,x-en --max-sentences 200 --beam-size 4 \
  --max-length-factor 1.5 > "$OUT/eval.log" 2>&1 ||
  { echo "sweep_point.sh: eval failed (log: $OUT/eval.log)" >&2; tail -n 3 "$OUT/eval.log" >&2; exit 1; }
end=$(date +%s)
updates=$(grep -o 'training finished after [0-9]* updates' "$OUT/train.log" | grep -o '[0-9]*' || true)
echo "point $OUT langs=$LANGS $* :: updates=$updates train_s=$((mid - start)) eval_s=$((end - mid))"
grep -E '^\| (all|[a-z]{3}_[A-Z][a-z]{3}-)' "$OUT/eval/report.md" || true
