#!/usr/bin/env bash
# scripts/bench/sweep_point.sh (one point of the quick-start sweep) end to end at a tiny size on
# the committed sample: the recipe's train section with overrides, training, eval, the summary
# line with the update count, and a clear error for a corpus without train/.
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
out=$(MOEMT=$MOEMT scripts/bench/sweep_point.sh --corpus corpora/sample --out "$T/p" \
  --langs fr,es -- --after 4u --vocab-size 500 --dim-emb 32 --transformer-dim-ffn 64 \
  --moe-expert-dim-ffn 32 --enc-depth 2 --dec-depth 2)
echo "$out"
grep -q 'updates=4 ' <<<"$out" || fail "no 'updates=4' in the summary line"
grep -q '^| all | 4 |' <<<"$out" || fail "no average over the four directions"
grep -q 'learn-rate: 0.002' "$T/p/base.yml" || fail "the recipe's train section is not the base"
grep -q 'fra_Latn=Romance' "$T/p/base.yml" || fail "language groups not derived from --langs"
if err=$(MOEMT=$MOEMT scripts/bench/sweep_point.sh --corpus "$T" --out "$T/q" -- --after 1u 2>&1); then
  fail "a corpus without train/ was accepted"
fi
grep -q "train: no such directory" <<<"$err" || fail "unclear error: $err"
echo "sweep_point ok"
