#!/usr/bin/env bash
# A Transformer checkpoint written before `type: transformer|lstm` existed (config.yml without
# `type`) still loads and decodes to the same bytes, n-best scores included.
set -euo pipefail
MOEMT=$1
D=tests/data/models/transformer-v0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=1
! grep -q '^type:' "$D/config.yml" || { echo "FAIL: the fixture's config.yml names a type" >&2; exit 1; }
"$MOEMT" translate -m "$D" --to de -b 2 --n-best --quiet < "$D/input.eng_Latn" > "$T/out"
if ! cmp -s "$T/out" "$D/expected.nbest"; then
  echo "FAIL: the old Transformer checkpoint decodes differently:" >&2
  diff "$D/expected.nbest" "$T/out" | head -8 >&2
  exit 1
fi
echo "transformer_compat: the old checkpoint decodes byte-identically"
