#!/usr/bin/env bash
# CLI integration of the training aids (issue #16): --optimizer-delay, --exponential-smoothing,
# a comma list in --after, --keep-checkpoints, and `moemt average` over the kept checkpoints,
# whose output `moemt translate` loads.
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

cat > "$T/tiny.yml" <<YML
vocab-size: 500
dim-emb: 32
transformer-heads: 2
transformer-dim-ffn: 64
enc-depth: 1
dec-depth: 1
mini-batch-words: 400
lr-warmup: 5
exponential-smoothing: true
YML
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --cpu-threads 1 --optimizer-delay 2 \
  --after 6u,2h --save-freq 2u --keep-checkpoints 2 \
  --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn 2> "$T/train.log" ||
  fail "training: $(tail -n 3 "$T/train.log")"
grep -q "training finished after 6 updates" "$T/train.log" || fail "did not stop at 6u: $(tail -n 2 "$T/train.log")"
[[ ! -e "$T/m.iter2" && -d "$T/m.iter4" && -d "$T/m.iter6" ]] || fail "kept checkpoints: $(ls "$T")"
grep -q '"exponential-smoothing"\|exponential-smoothing: 0.0001\|exponential-smoothing: 9.99' "$T/m/train.yml" ||
  fail "smoothing not recorded in train.yml"

"$MOEMT" average -m "$T/m.iter4" "$T/m.iter6" -o "$T/avg" 2> "$T/avg.log" || fail "average: $(cat "$T/avg.log")"
for f in config.yml model.safetensors vocab.spm; do [[ -s "$T/avg/$f" ]] || fail "average: missing $f"; done
ls "$T" | grep -q "avg\.writing" && fail "temporary folder left behind"
head -n 3 corpora/sample/devtest/eng_Latn.devtest > "$T/in.txt"
"$MOEMT" translate -m "$T/avg" --to de -b 1 --max-length 20 -i "$T/in.txt" -o "$T/out.txt" --quiet
[[ $(wc -l < "$T/out.txt") -eq 3 ]] || fail "translate with the averaged model"

# Errors name what is wrong and write nothing.
if "$MOEMT" average -m "$T/m.iter4" -o "$T/avg1" 2> "$T/err"; then fail "averaged one model"; fi
grep -q "at least two models" "$T/err" || fail "one-model message: $(cat "$T/err")"
mkdir "$T/notes" && echo keep > "$T/notes/n.txt"
if "$MOEMT" average -m "$T/m.iter4" "$T/m.iter6" -o "$T/notes" 2> "$T/err"; then fail "overwrote a user folder"; fi
[[ $(cat "$T/notes/n.txt") == keep ]] || fail "user folder changed"
if "$MOEMT" train -c "$T/tiny.yml" --model "$T/m2" --after 10u,20u \
  --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn 2> "$T/err"; then
  fail "two update limits accepted"
fi
grep -q -- "--after" "$T/err" || fail "after message: $(cat "$T/err")"
echo ok
