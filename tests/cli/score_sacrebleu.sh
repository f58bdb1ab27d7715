#!/usr/bin/env bash
# Live comparison with the sacrebleu CLI on random heavy-Unicode lines (two references,
# every third option set, corpus and sentence level, 6 decimals). Skipped (exit 77) when
# sacrebleu or python3 is not installed.
set -uo pipefail
MOEMT=${1:?usage: score_sacrebleu.sh /path/to/moemt}
command -v python3 > /dev/null && command -v sacrebleu > /dev/null || { echo "sacrebleu not installed: skipped"; exit 77; }
python3 scripts/bench/score_compare.py --moemt "$MOEMT" --lines 150 --seed 7 --quick
rc=$?
[[ $rc -eq 0 ]] || exit $rc

# Whole outputs, not only the numbers: several systems (plain, paired bootstrap, paired
# approximate randomization) as text and JSON, and single systems, with the same flags given to
# both tools. Only the signature's version field differs by design. (sacrebleu 2.6.0 cannot
# print --paired-bs as JSON: json.dumps fails on its numpy floats.)
D=tests/data/score
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
bad=0
while IFS= read -r flags; do
  # shellcheck disable=SC2086
  sacrebleu -q $D/deu.ref.txt -i $D/deu.hyp.txt $D/deu.hyp2.txt $D/eng.hyp.txt $flags > "$T/theirs" 2>&1 || true
  # shellcheck disable=SC2086
  "$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt $D/deu.hyp2.txt $D/eng.hyp.txt $flags 2>&1 \
    | sed 's/moemt-[0-9.]*+sacrebleu-//g' > "$T/ours" || true
  if ! cmp -s "$T/theirs" "$T/ours"; then
    echo "MISMATCH with flags: $flags"
    diff "$T/theirs" "$T/ours" | head -20
    bad=1
  fi
done <<'FLAGS'
-m bleu chrf ter -f text -w 1
-m bleu chrf ter -f json -w 1
-m bleu ter --paired-ar -f text -w 1
-m bleu ter --paired-ar -parn 500 -f text -w 2
-m bleu chrf --paired-ar -f json -w 1
-m bleu ter --paired-bs -f text -w 1
-m bleu chrf ter --paired-bs -pbsn 200 -f text -w 3
FLAGS
for flags in "-m bleu chrf ter -f text -w 1" "-m bleu chrf ter -f json -w 1" "-m bleu -ci -cin 100 -f text -w 2"; do
  # shellcheck disable=SC2086
  sacrebleu -q $D/deu.ref.txt -i $D/deu.hyp.txt $flags > "$T/theirs" 2>&1 || true
  # shellcheck disable=SC2086
  "$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt $flags 2>&1 | sed 's/moemt-[0-9.]*+sacrebleu-//g' > "$T/ours" || true
  cmp -s "$T/theirs" "$T/ours" || { echo "MISMATCH (one system) with flags: $flags"; diff "$T/theirs" "$T/ours" | head -20; bad=1; }
done
[[ $bad -eq 0 ]] || exit 1
echo "score_sacrebleu: whole outputs identical to sacrebleu"
