#!/usr/bin/env bash
# Quality side by side: a moemt model vs Apertium (rule-based MT from Debian's `apertium`,
# `apertium-eng-spa`, `apertium-eng-cat`) on the same English devtest lines, into Spanish and
# Catalan, both scored by `moemt score` (BLEU 13a, chrF++). Prints one JSON line per
# (direction, system); a direction the set or the model lacks gets a "skipped" line.
#
# usage: scripts/bench/apertium.sh MODEL_DIR SET_DIR
#   env: MOEMT (default build/bin/moemt), SPLIT (devtest), MAX_SENTENCES (0 = all lines),
#        BEAM (4), THREADS (0 = all cores), WORK (kept directory for hypotheses; default temp)
set -euo pipefail
MODEL=${1:?usage: apertium.sh MODEL_DIR SET_DIR}
SET=${2:?usage: apertium.sh MODEL_DIR SET_DIR}
MOEMT=${MOEMT:-build/bin/moemt}
SPLIT=${SPLIT:-devtest}
MAX=${MAX_SENTENCES:-0}
BEAM=${BEAM:-4}
THREADS=${THREADS:-0}
if [[ -n "${WORK:-}" ]]; then mkdir -p "$WORK"; else WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi
[[ -x "$MOEMT" ]] || { echo "apertium.sh: $MOEMT is not an executable (set MOEMT=)" >&2; exit 1; }
[[ -d "$SET/$SPLIT" ]] || { echo "apertium.sh: $SET/$SPLIT: no such directory" >&2; exit 1; }

# Apertium from Debian; installed on demand when we are root.
PKGS=(apertium apertium-eng-spa apertium-eng-cat)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "apertium.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    echo "apertium.sh: please install: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
APERTIUM_VERSION=$(apertium -V 2>/dev/null | awk '{print $2}')
pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null; }

SRC="$SET/$SPLIT/eng_Latn.$SPLIT"
[[ -f "$SRC" ]] || { echo "apertium.sh: $SRC: no English file in the set" >&2; exit 1; }
take() { if ((MAX > 0)); then head -n "$MAX" "$1"; else cat "$1"; fi; }
take "$SRC" >"$WORK/src.eng_Latn"
N=$(wc -l <"$WORK/src.eng_Latn")
HAVE_TRANSLATE=0
"$MOEMT" translate --help >/dev/null 2>&1 && HAVE_TRANSLATE=1

# score REF HYP -> "BLEU CHRF BLEU_SIGNATURE CHRF_SIGNATURE" (two decimals, as sacrebleu -w 2)
score() {
  local b c bs cs
  b=$("$MOEMT" score "$1" -i "$2" -m bleu -b -w 2)
  c=$("$MOEMT" score "$1" -i "$2" -m chrf --chrf-word-order 2 -b -w 2)
  bs=$("$MOEMT" score "$1" -i "$2" -m bleu -w 2 | sed -E 's/^BLEU\|([^ ]*) = .*/\1/')
  cs=$("$MOEMT" score "$1" -i "$2" -m chrf --chrf-word-order 2 -w 2 | sed -E 's/^chrF2\+\+\|([^ ]*) = .*/\1/')
  echo "$b $c $bs $cs"
}
json_line() {  # pair system n seconds bleu chrf bleu_sig chrf_sig extra_json
  printf '{"bench":"apertium","pair":"%s","system":"%s","n":%s,"seconds":%s,"bleu":%s,"chrf++":%s,"signatures":{"bleu":"%s","chrf++":"%s"},%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }

for pair in spa_Latn:eng-spa cat_Latn:eng-cat; do
  tgt=${pair%%:*}; mode=${pair#*:}; key="eng_Latn-$tgt"
  REF_ALL="$SET/$SPLIT/$tgt.$SPLIT"
  if [[ ! -f "$REF_ALL" ]]; then
    printf '{"bench":"apertium","pair":"%s","skipped":"no %s file in %s"}\n' "$key" "$tgt" "$SET/$SPLIT"
    continue
  fi
  take "$REF_ALL" >"$WORK/ref.$tgt"

  # Apertium, -u: no '*' marks on unknown words. Its plain-text mode keeps one output line per
  # input line and sentence-final punctuation; `-f line` (the fallback, when a line count ever
  # differs) also keeps lines but drops the final period, costing ~1 BLEU on FLORES.
  t0=$(now)
  fmt=txt
  apertium -u "$mode" <"$WORK/src.eng_Latn" >"$WORK/hyp.apertium.$tgt"
  if [[ $(wc -l <"$WORK/hyp.apertium.$tgt") != "$N" ]]; then
    echo "apertium.sh: apertium $mode changed the line count in text mode; using -f line" >&2
    fmt=line
    apertium -u -f line "$mode" <"$WORK/src.eng_Latn" >"$WORK/hyp.apertium.$tgt"
  fi
  secs=$(elapsed "$t0")
  if [[ $(wc -l <"$WORK/hyp.apertium.$tgt") != "$N" ]]; then
    echo "apertium.sh: apertium $mode returned a different number of lines" >&2; exit 1
  fi
  read -r b c bs cs < <(score "$WORK/ref.$tgt" "$WORK/hyp.apertium.$tgt")
  json_line "$key" apertium "$N" "$secs" "$b" "$c" "$bs" "$cs" \
    "\"version\":\"apertium $APERTIUM_VERSION, apertium-$mode $(pkg_version apertium-$mode)\",\"command\":\"apertium -u -f $fmt $mode\""

  # moemt: `moemt translate` when the binary has it, else the hypotheses of `moemt eval`.
  t0=$(now)
  log="$WORK/moemt.$tgt.log"
  if ((HAVE_TRANSLATE)); then
    how=translate
    ok=0
    "$MOEMT" translate -m "$MODEL" --from eng_Latn --to "$tgt" -b "$BEAM" --cpu-threads "$THREADS" --quiet \
      <"$WORK/src.eng_Latn" >"$WORK/hyp.moemt.$tgt" 2>"$log" && ok=1
  else
    how=eval
    ok=0
    "$MOEMT" eval -m "$MODEL" --set "$SET" --split "$SPLIT" --directions "$key" -b "$BEAM" \
      --max-sentences "$MAX" --cpu-threads "$THREADS" -q -o "$WORK/eval.$tgt" >/dev/null 2>"$log" \
      && cp "$WORK/eval.$tgt/hyp.$key.txt" "$WORK/hyp.moemt.$tgt" && ok=1
  fi
  secs=$(elapsed "$t0")
  if ((!ok)); then
    reason=$(tail -n 1 "$log" | sed 's/"/\\"/g')
    printf '{"bench":"apertium","pair":"%s","system":"moemt","skipped":"%s"}\n' "$key" "$reason"
    continue
  fi
  read -r b c bs cs < <(score "$WORK/ref.$tgt" "$WORK/hyp.moemt.$tgt")
  json_line "$key" moemt "$N" "$secs" "$b" "$c" "$bs" "$cs" \
    "\"model\":\"$MODEL\",\"via\":\"moemt $how\",\"beam\":$BEAM"
done
