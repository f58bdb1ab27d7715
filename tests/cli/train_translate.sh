#!/usr/bin/env bash
# CLI integration: train a tiny model on the committed sample, translate with it, and check the
# behaviour users rely on (line order, empty lines, batch-size independence, n-best, errors).
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

# A config typo is an error naming the file and line, before anything is written.
printf 'dim-emb: 32\nmini-batch-wrods: 100\n' > "$T/bad.yml"
if "$MOEMT" train -c "$T/bad.yml" --model "$T/m" --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn 2> "$T/err"; then
  fail "config typo accepted"
fi
grep -q "bad.yml:2: unknown option 'mini-batch-wrods' (did you mean 'mini-batch-words'?)" "$T/err" || fail "typo message: $(cat "$T/err")"
[[ ! -e "$T/m" ]] || fail "model dir written despite the error"

# Train a tiny MoE model (a few seconds).
cat > "$T/tiny.yml" <<YML
vocab-size: 500
dim-emb: 32
transformer-heads: 2
transformer-dim-ffn: 64
enc-depth: 1
dec-depth: 2
moe: true
moe-experts: 4
moe-every: 1
mini-batch-words: 800
learn-rate: 0.003
lr-warmup: 10
after: 40u
disp-freq: 20u
YML
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --cpu-threads 1 --both-directions --log "$T/log.jsonl" \
  --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn 2> "$T/train.log"
for f in config.yml model.safetensors optimizer.safetensors state.json vocab.spm; do
  [[ -s "$T/m/$f" ]] || fail "missing $f"
done
grep -q '"type":"train"' "$T/log.jsonl" || fail "no train records in the JSON log"
grep -q '"routing"' "$T/log.jsonl" || fail "no routing statistics in the JSON log"
# Training again into the same directory must not silently overwrite it.
if "$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn 2> "$T/err"; then
  fail "existing model overwritten"
fi
grep -q -- "--resume" "$T/err" || fail "overwrite message: $(cat "$T/err")"

# Translation keeps one output line per input line, empty lines included.
head -n 12 corpora/sample/devtest/eng_Latn.devtest > "$T/in.txt"
sed -i '5s/.*//' "$T/in.txt"
"$MOEMT" translate -m "$T/m" --to de -b 3 -i "$T/in.txt" -o "$T/out.b64" --quiet
[[ $(wc -l < "$T/out.b64") -eq 12 ]] || fail "expected 12 output lines"
[[ -z $(sed -n 5p "$T/out.b64") ]] || fail "empty input line did not give an empty output line"
# The same output with batch size 1 and no length sorting across sentences.
"$MOEMT" translate -m "$T/m" --to deu_Latn -b 3 --mini-batch 1 --maxi-batch 1 --quiet < "$T/in.txt" > "$T/out.b1"
cmp -s "$T/out.b64" "$T/out.b1" || fail "output depends on the batch size"
# n-best lists in Marian's format.
"$MOEMT" translate -m "$T/m" --to de -b 2 --n-best --quiet < <(head -n 2 "$T/in.txt") > "$T/nbest"
[[ $(wc -l < "$T/nbest") -eq 4 ]] || fail "n-best: expected 2 x 2 lines"
grep -qE '^1 \|\|\| .* \|\|\| F0= -?[0-9.]+ \|\|\| -?[0-9.]+$' "$T/nbest" || fail "n-best format: $(cat "$T/nbest")"
# Routing trace: JSON lines with experts and gates.
"$MOEMT" translate -m "$T/m" --to fr --routing-trace "$T/trace.jsonl" --quiet < <(head -n 1 "$T/in.txt") > /dev/null
grep -q '"experts":\[' "$T/trace.jsonl" || fail "routing trace"

# Errors: unknown target language lists the model's languages; invalid UTF-8 names the line;
# a directory that is not a model says so.
if echo hi | "$MOEMT" translate -m "$T/m" --to ja 2> "$T/err"; then fail "unknown --to accepted"; fi
grep -q "deu_Latn, eng_Latn, fra_Latn" "$T/err" || fail "unknown language message: $(cat "$T/err")"
if printf 'ok\nbad \xff byte\n' | "$MOEMT" translate -m "$T/m" --to de 2> "$T/err" > /dev/null; then fail "invalid UTF-8 accepted"; fi
grep -q "stdin:2: invalid UTF-8" "$T/err" || fail "UTF-8 message: $(cat "$T/err")"
if echo hi | "$MOEMT" translate -m "$T" --to de 2> "$T/err"; then fail "non-model dir accepted"; fi
grep -q "not a moemt model directory" "$T/err" || fail "model dir message: $(cat "$T/err")"

# Resume continues from the checkpoint.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --resume --after 50u --cpu-threads 1 --both-directions \
  --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn 2> "$T/resume.log"
grep -q "resumed from .* at update 40" "$T/resume.log" || fail "resume: $(tail -3 "$T/resume.log")"
grep -q '"updates": 50' "$T/m/state.json" || fail "state.json after resume"

# Every recipe parses and its train section is accepted by `moemt train`.
for r in examples/recipes/*.yaml; do
  "$MOEMT" recipe "$r" --out "$T/recipe" --dry-run > /dev/null 2> "$T/err" || fail "recipe $r: $(tail -2 "$T/err")"
done
echo "train_translate: all checks passed"
