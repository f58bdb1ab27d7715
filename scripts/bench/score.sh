#!/usr/bin/env bash
# Benchmark: time `moemt score -m bleu chrf --chrf-word-order 2` on N sentence pairs (default
# 1,000,000) against sacrebleu on the same files in the same run, and print one JSON line with
# both times and the speed ratio. sacrebleu is optional (pip install sacrebleu); without it
# only moemt is timed.
#
#   scripts/bench/score.sh [--pairs N] [--moemt PATH] [--threads T] [--no-sacrebleu]
#
# Input: FLORES-200 excerpts committed under tests/data/score (German, English, Russian,
# Greek references and perturbed hypotheses), repeated with a running number appended to
# every line so that no two lines are equal (sacrebleu caches tokenizer results for 65,536
# distinct lines; repeated lines would hide its real cost).
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS=1000000
MOEMT=${MOEMT:-build/bin/moemt}
THREADS=${OMP_NUM_THREADS:-$(nproc)}
RUN_SACREBLEU=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-sacrebleu) RUN_SACREBLEU=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$MOEMT" ]] || { echo "moemt binary not found at $MOEMT (use --moemt)" >&2; exit 2; }
DIR=${TMPDIR:-/tmp}/moemt_score_bench_$PAIRS
mkdir -p "$DIR"
D=tests/data/score
if [[ ! -s "$DIR/ref.txt" || ! -s "$DIR/hyp.txt" ]]; then
  # Pair k of the pool is (ref line k, hyp line k); line i of the output uses pair i mod pool.
  cat $D/deu.ref.txt $D/eng.ref.txt $D/rus.ref.txt $D/ell.ref.txt > "$DIR/pool.ref"
  cat $D/deu.hyp.txt $D/eng.hyp.txt $D/rus.hyp.txt $D/ell.hyp.txt > "$DIR/pool.hyp"
  for side in ref hyp; do
    awk -v n="$PAIRS" '{ a[NR-1] = $0 } END { for (i = 0; i < n; i++) print a[i % NR] " " i }' \
      "$DIR/pool.$side" > "$DIR/$side.txt"
  done
fi

# timed CMD...: runs CMD and sets WALL and CPU (user + system seconds of CMD and its children).
timed() {
  local tf; tf=$(mktemp)
  { TIMEFORMAT='%R %U %S'; time "$@" ; } 2> "$tf"
  read -r WALL u s < <(tail -n 1 "$tf")
  CPU=$(echo "$u + $s" | bc -l)
  rm -f "$tf"
}
timed env OMP_NUM_THREADS="$THREADS" "$MOEMT" score "$DIR/ref.txt" -i "$DIR/hyp.txt" -m bleu chrf \
  --chrf-word-order 2 -b -w 4 > "$DIR/moemt.out"
moemt_s=$WALL; moemt_cpu=$CPU
scores_of() { grep -oE '[0-9]+\.[0-9]+' "$1" | tr '\n' ' ' | sed 's/ $//'; }
moemt_scores=$(scores_of "$DIR/moemt.out")

sb_s=null; ratio=null; sb_cpu=null; cpu_ratio=null; sb_scores=""; sb_version=null; same=null
if [[ $RUN_SACREBLEU == 1 ]] && command -v sacrebleu > /dev/null; then
  sb_version="\"$(sacrebleu --version 2>&1 | awk '{print $2}')\""
  timed sh -c "sacrebleu '$DIR/ref.txt' -i '$DIR/hyp.txt' -m bleu chrf --chrf-word-order 2 -b -w 4 -q > '$DIR/sacrebleu.out'"
  sb_s=$WALL; sb_cpu=$CPU
  ratio=$(echo "$sb_s / $moemt_s" | bc -l)
  cpu_ratio=$(echo "$sb_cpu / $moemt_cpu" | bc -l)
  sb_scores=$(scores_of "$DIR/sacrebleu.out")
  if [[ "$sb_scores" == "$moemt_scores" ]]; then same=true; else same=false; fi
fi
printf '{"bench":"score","pairs":%d,"metrics":"BLEU+chrF2++","threads":%d,"moemt_s":%.3f,' \
  "$PAIRS" "$THREADS" "$moemt_s"
printf '"sacrebleu_s":%s,"ratio":%s,"sacrebleu_version":%s,"sacrebleu_threads":1,' \
  "$( [[ $sb_s == null ]] && echo null || printf '%.3f' "$sb_s")" \
  "$( [[ $ratio == null ]] && echo null || printf '%.1f' "$ratio")" "$sb_version"
fmt() { [[ $1 == null ]] && echo null || printf "%.${2:-3}f" "$1"; }
printf '"moemt_cpu_s":%s,"sacrebleu_cpu_s":%s,"cpu_ratio":%s,"load_avg":"%s",' \
  "$(fmt "$moemt_cpu")" "$(fmt "$sb_cpu")" "$(fmt "$cpu_ratio" 1)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '"moemt_scores":"%s","sacrebleu_scores":"%s","same_scores":%s}\n' \
  "$moemt_scores" "$sb_scores" "$same"
