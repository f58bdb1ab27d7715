#!/usr/bin/env bash
# Live comparison with the sacrebleu CLI on random heavy-Unicode lines (two references,
# every third option set, corpus and sentence level, 6 decimals). Skipped (exit 77) when
# sacrebleu or python3 is not installed.
set -uo pipefail
MOEMT=${1:?usage: score_sacrebleu.sh /path/to/moemt}
command -v python3 > /dev/null && command -v sacrebleu > /dev/null || { echo "sacrebleu not installed: skipped"; exit 77; }
python3 scripts/bench/score_compare.py --moemt "$MOEMT" --lines 150 --seed 7 --quick
