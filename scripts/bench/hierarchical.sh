#!/usr/bin/env bash
# Flat top-k routing vs group-then-expert routing at equal budget and active FLOPs, and the
# extracted sub-model of the hierarchical one. Two MoE models are trained on the same corpus,
# with the same vocabulary (the second reuses the first's), seed, schedule and budget; they
# differ only in the decoder's routing: flat top-2 over all experts, or first the target
# language's group and then top-2 inside it. Then, for each: devtest chrF++ (beam 4),
# decoding tokens/s and peak RSS at batch 1, 8 and 64, greedy and beam 4, on a mixed-target
# input (English devtest lines into every other language, lines "LANG<TAB>text"), and for the
# hierarchical model's sub-model of one target language (`moemt extract`) against the full
# models on that one direction (eager and --mmap loading). Speed runs produce exactly
# --length tokens per sentence (--min-length = --max-length), so that models whose outputs
# differ in length are timed on the same work; quality runs decode freely. One JSON line per
# measure, then a summary line with the ratios hierarchical / flat.
#
#   scripts/bench/hierarchical.sh [--work DIR] [--corpus DIR] [--budget 900u] [--sentences 100]
#       [--threads 2] [--repeats 3] [--length 32] [--vocab-size 8000] [--dim-emb 256] [--depth 3]
#       [--experts 4] [--groups 0] [--expert-dim-ffn 512] [--sub-lang fra_Latn]
#       [--language-groups eng_Latn=Germanic,deu_Latn=Germanic,fra_Latn=Romance,spa_Latn=Romance]
#
# --language-groups names each language's group (CODE=GROUP, comma-separated); --groups is the
# number of groups the decoder routes over (0: one per distinct group name, so 4 with
# eng_Latn=en,deu_Latn=de,fra_Latn=fr,spa_Latn=es). (Not $GROUPS: bash owns that name.)
#
# --corpus: a `moemt corpus build` directory (train/, dev/, devtest/); default: English + de,
# fr, es from the pinned packages (the first quick start's corpus), built into WORK/corpus by
# `moemt corpus build` (about 3 minutes); --budget is `train
# --after` (900u = the quick start; 30m = 30 minutes of training each). A check of the script
# end to end, in about 5 minutes on 2 cores (figures meaningless):
#   scripts/bench/hierarchical.sh --corpus corpora/sample --budget 60s --sentences 16 \
#       --vocab-size 1000 --dim-emb 64 --depth 2 --expert-dim-ffn 128 --repeats 1
set -euo pipefail
cd "$(dirname "$0")/../.."
MOEMT=${MOEMT:-build/bin/moemt}
WORK=runs/hierarchical CORPUS="" BUDGET=900u SENTENCES=100 THREADS=2 REPEATS=3
LENGTH=32 VOCAB=8000 DIM=256 DEPTH=3 EXPERTS=4 NGROUPS=0 EXPERT_FFN=512 SUB_LANG=fra_Latn
LANG_GROUPS=eng_Latn=Germanic,deu_Latn=Germanic,fra_Latn=Romance,spa_Latn=Romance
LANGS=(eng_Latn deu_Latn fra_Latn spa_Latn)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --sentences) SENTENCES=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --length) LENGTH=$2; shift 2 ;;
    --vocab-size) VOCAB=$2; shift 2 ;;
    --dim-emb) DIM=$2; shift 2 ;;
    --depth) DEPTH=$2; shift 2 ;;
    --experts) EXPERTS=$2; shift 2 ;;
    --groups) NGROUPS=$2; shift 2 ;;
    --expert-dim-ffn) EXPERT_FFN=$2; shift 2 ;;
    --sub-lang) SUB_LANG=$2; shift 2 ;;
    --language-groups) LANG_GROUPS=$2; shift 2 ;;
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
echo "{\"bench\":\"hierarchical\",\"type\":\"env\",\"budget\":\"$BUDGET\",\"experts\":$EXPERTS,\"groups\":$NGROUPS,\"language_groups\":\"$LANG_GROUPS\",\"threads\":$THREADS,\"corpus\":\"$CORPUS\",\"load_avg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"nproc\":$(nproc)}"

# The two models: identical but for the decoder's routing.
cat > "$WORK/common.yml" <<YML
both-directions: true
vocab-size: $VOCAB
dim-emb: $DIM
transformer-heads: 4
transformer-dim-ffn: $((2 * EXPERT_FFN))
enc-depth: $DEPTH
dec-depth: $DEPTH
label-smoothing: 0.1
moe: true
moe-experts: $EXPERTS
moe-top-k: 2
moe-every: 2
moe-expert-dim-ffn: $EXPERT_FFN
language-groups: [${LANG_GROUPS//,/, }]
mini-batch-words: 4096
max-length: 96
learn-rate: 0.001
lr-warmup: 300
after: $BUDGET
disp-freq: 50u
valid-freq: 300u
valid-metrics: [ce-mean-words, chrf]
valid-max-sentences: 100
early-stopping: 0
seed: 1
YML
TRAIN=() VALID=()
for l in "${LANGS[@]:1}"; do
  TRAIN+=("$CORPUS/train/eng_Latn-$l.eng_Latn" "$CORPUS/train/eng_Latn-$l.$l")
  VALID+=("$CORPUS/dev/eng_Latn.dev" "$CORPUS/dev/$l.dev")
done
train() {  # NAME EXTRA-FLAGS...
  local name=$1; shift
  [[ -e $WORK/$name.done ]] && return
  rm -rf "${WORK:?}/$name"
  "$MOEMT" train -c "$WORK/common.yml" --model "$WORK/$name" --cpu-threads "$THREADS" \
    --log "$WORK/$name.train.jsonl" --train-sets "${TRAIN[@]}" --valid-sets "${VALID[@]}" "$@" \
    2> "$WORK/$name.train.log"
  touch "$WORK/$name.done"
}
train flat --moe-group-by none
train hier --moe-dec-group-by tgt --moe-groups "$NGROUPS" --vocabs "$WORK/flat/vocab.spm"

# Inputs: English devtest lines into every other language (mixed targets), and into SUB_LANG.
head -n "$SENTENCES" "$CORPUS/devtest/eng_Latn.devtest" > "$WORK/eng.txt"
: > "$WORK/mixed.tsv"
for l in "${LANGS[@]:1}"; do sed "s/^/$l\t/" "$WORK/eng.txt" >> "$WORK/mixed.tsv"; done
"$MOEMT" extract -m "$WORK/hier" --langs "$SUB_LANG" -o "$WORK/hier-sub" --json > "$WORK/extract.out"
tail -n 1 "$WORK/extract.out" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["bench"]="hierarchical"; print(json.dumps(r))'

: > "$WORK/results.jsonl"
emit() { tee -a "$WORK/results.jsonl"; }
for m in flat hier; do
  "$MOEMT" eval -m "$WORK/$m" --set "$CORPUS" --split devtest --max-sentences "$SENTENCES" -b 4 \
    --cpu-threads "$THREADS" -f json -q > "$WORK/$m.eval.json"
  $B chrf "$WORK/$m.eval.json" "$m" | sed 's/^{/{"bench":"hierarchical","type":"quality",/' | emit
done
speed() {  # LABEL MODEL INPUT translate-args...
  local label=$1 model=$2 input=$3; shift 3
  $B speed "$MOEMT" "$model" "$input" "$label" "$REPEATS" -- --cpu-threads "$THREADS" \
    --min-length "$LENGTH" --max-length "$LENGTH" --max-length-factor 1000 "$@" \
    | sed 's/^{/{"bench":"hierarchical","type":"speed",/' | emit
}
for beam in 1 4; do
  for batch in 1 8 64; do
    for m in flat hier; do
      speed "$m mixed b$batch beam$beam" "$WORK/$m" "$WORK/mixed.tsv" --tsv -b $beam --mini-batch $batch
    done
    for m in flat hier hier-sub; do
      speed "$m $SUB_LANG b$batch beam$beam" "$WORK/$m" "$WORK/eng.txt" --to "$SUB_LANG" -b $beam --mini-batch $batch
    done
    speed "hier-sub-mmap $SUB_LANG b$batch beam$beam" "$WORK/hier-sub" "$WORK/eng.txt" --to "$SUB_LANG" -b $beam --mini-batch $batch --mmap
  done
done

python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
q = {r["label"]: r for r in rows if r["type"] == "quality"}
s = {r["label"]: r for r in rows if r["type"] == "speed"}
out = {"bench": "hierarchical", "type": "summary",
       "chrf_delta_hier_minus_flat": round(q["hier"]["chrf++"] - q["flat"]["chrf++"], 2)}
for key, r in s.items():
    if key.startswith("hier ") or key.startswith("hier-sub"):
        base = "flat " + key.split(" ", 1)[1]
        if base in s and s[base]["tokens_per_s"] > 0:
            out[f"speed {key} / {base}"] = round(r["tokens_per_s"] / s[base]["tokens_per_s"], 3)
    if key.startswith("hier-sub"):
        full = "hier " + key.split(" ", 1)[1]
        if full in s:
            out[f"rss {key} / {full}"] = round(r["peak_rss_mib"] / s[full]["peak_rss_mib"], 3)
print(json.dumps(out))
PY
