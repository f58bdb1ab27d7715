#!/usr/bin/env bash
# CLI integration of deployment: `moemt extract` of a model whose decoder routes by target
# group, the sub-model's output equal to the full model's, refusals, eval on a sub-model,
# --mmap loading and continued training of the sub-model.
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
dec-depth: 2
moe: true
moe-experts: 4
moe-every: 1
moe-dec-group-by: tgt
moe-groups: 2
language-groups: [eng_Latn=Germanic, deu_Latn=Germanic, fra_Latn=Romance]
mini-batch-words: 800
learn-rate: 0.003
lr-warmup: 10
after: 20u
disp-freq: 10u
YML
TRAIN=(--train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn
       $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn)
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --cpu-threads 1 --both-directions "${TRAIN[@]}" 2> "$T/train.log" \
  || fail "training: $(tail -3 "$T/train.log")"

# The French sub-model keeps the decoder's Romance experts (2 of 4) and all encoder experts.
"$MOEMT" extract -m "$T/m" --langs fr -o "$T/fr" --json > "$T/extract.out" 2> "$T/extract.err" \
  || fail "extract: $(cat "$T/extract.err")"
grep -q "decoder: routing tgt, keeps 2 of 4 experts" "$T/extract.out" || fail "extract report: $(cat "$T/extract.out")"
grep -q "encoder: routing none, keeps 4 of 4 experts" "$T/extract.out" || fail "extract report: $(cat "$T/extract.out")"
grep -q '| parameters |' "$T/extract.out" || fail "no size table: $(cat "$T/extract.out")"
grep -q '"type":"extract"' "$T/extract.out" || fail "no JSON line"
for f in config.yml model.safetensors vocab.spm optimizer.safetensors state.json; do
  [[ -s "$T/fr/$f" ]] || fail "sub-model lacks $f"
done
full_size=$(stat -c %s "$T/m/model.safetensors"); sub_size=$(stat -c %s "$T/fr/model.safetensors")
(( sub_size < full_size )) || fail "sub-model file $sub_size is not smaller than $full_size"
# --group names the same languages.
"$MOEMT" extract -m "$T/m" --group Romance -o "$T/romance" > /dev/null 2>&1 || fail "extract --group"
cmp -s "$T/fr/model.safetensors" "$T/romance/model.safetensors" || fail "--group Romance differs from --langs fr"

# Byte-identical output on the kept language, beam and greedy, batched and one by one.
head -n 12 corpora/sample/devtest/eng_Latn.devtest > "$T/in.txt"
for b in 1 3; do
  "$MOEMT" translate -m "$T/m" --to fr -b $b --quiet < "$T/in.txt" > "$T/full.b$b"
  "$MOEMT" translate -m "$T/fr" --to fr -b $b --quiet < "$T/in.txt" > "$T/sub.b$b"
  cmp -s "$T/full.b$b" "$T/sub.b$b" || fail "sub-model output differs from the full model (beam $b)"
  "$MOEMT" translate -m "$T/fr" --to fr -b $b --mini-batch 1 --quiet < "$T/in.txt" > "$T/sub1.b$b"
  cmp -s "$T/sub.b$b" "$T/sub1.b$b" || fail "sub-model batch-1 output differs (beam $b)"
  # Memory-mapped loading gives the same output as reading the file.
  "$MOEMT" translate -m "$T/m" --to fr -b $b --mmap --quiet < "$T/in.txt" > "$T/mmap.b$b"
  cmp -s "$T/full.b$b" "$T/mmap.b$b" || fail "--mmap output differs (beam $b)"
done
[[ -s "$T/full.b3" ]] || fail "empty translations"

# Other target languages are refused with one line naming what the sub-model serves.
if echo hi | "$MOEMT" translate -m "$T/fr" --to de 2> "$T/err"; then fail "sub-model accepted --to de"; fi
[[ $(wc -l < "$T/err") -eq 1 ]] || fail "refusal is not one line: $(cat "$T/err")"
grep -q "not served by this sub-model as a target language .*fra_Latn" "$T/err" || fail "refusal: $(cat "$T/err")"
# Unknown languages and groups are errors naming them.
if "$MOEMT" extract -m "$T/m" --langs ja -o "$T/x" 2> "$T/err"; then fail "extract --langs ja accepted"; fi
grep -q "language 'ja' is not one of this model's languages" "$T/err" || fail "extract error: $(cat "$T/err")"
if "$MOEMT" extract -m "$T/m" --group Slavic -o "$T/x" 2> "$T/err"; then fail "extract --group Slavic accepted"; fi
grep -q "Germanic" "$T/err" || fail "group error: $(cat "$T/err")"
[[ ! -e "$T/x" ]] || fail "output written despite an error"

# eval on the sub-model evaluates the directions it serves only, with the full model's scores.
"$MOEMT" eval -m "$T/fr" --set corpora/sample --split devtest --max-sentences 8 -b 1 -f json -q > "$T/sub.json" 2> "$T/eval.err" \
  || fail "eval of the sub-model: $(cat "$T/eval.err")"
"$MOEMT" eval -m "$T/m" --set corpora/sample --split devtest --directions en-fr --max-sentences 8 -b 1 -f json -q > "$T/full.json"
python3 - "$T/sub.json" "$T/full.json" <<'PY' || fail "eval scores differ"
import json, sys
sub, full = (json.load(open(p)) for p in sys.argv[1:])
d = lambda r: {(x["src"], x["tgt"]): (x["bleu"], x["chrf++"]) for x in r["directions"]}
s, f = d(sub), d(full)
assert list(s) == [("eng_Latn", "fra_Latn")], s
assert s == f, (s, f)
PY

# The sub-model continues training (optimizer moments and state sliced to the kept experts).
"$MOEMT" train -c "$T/tiny.yml" --model "$T/fr" --resume --after 25u --cpu-threads 1 \
  --train-sets $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn 2> "$T/resume.log" \
  || fail "resume of the sub-model: $(tail -3 "$T/resume.log")"
grep -q "resumed from .* at update 20" "$T/resume.log" || fail "resume: $(tail -3 "$T/resume.log")"
grep -q "data from the start" "$T/resume.log" || fail "resume data position: $(tail -3 "$T/resume.log")"
grep -q '"updates": 25' "$T/fr/state.json" || fail "state.json after resume"
"$MOEMT" translate -m "$T/fr" --to fr --quiet < "$T/in.txt" > /dev/null || fail "translate after resume"
# Training data in a language the sub-model does not serve is refused.
if "$MOEMT" train -c "$T/tiny.yml" --model "$T/fr" --resume --after 40u --cpu-threads 1 \
  --train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn 2> "$T/err"; then
  fail "sub-model trained on German"
fi
grep -q "this sub-model serves any -> fra_Latn only; the training data has eng_Latn -> deu_Latn" "$T/err" \
  || fail "training refusal: $(tail -1 "$T/err")"
# Learned group gates: extract measures which groups the gates pick on a multi-way sample.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/learned" --cpu-threads 1 --after 5u --moe-dec-group-by learned \
  --train-sets $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn 2> "$T/learned.log" \
  || fail "training with learned gates: $(tail -3 "$T/learned.log")"
if "$MOEMT" extract -m "$T/learned" --langs en,fr -o "$T/lsub" 2> "$T/err"; then fail "learned gates without a sample"; fi
grep -q "needs a sample" "$T/err" || fail "sample error: $(cat "$T/err")"
"$MOEMT" extract -m "$T/learned" --langs en,fr -o "$T/lsub" --sample-set corpora/sample --split dev \
  --max-sentences 10 --min-group-share 0 --json > "$T/lsub.out" 2> "$T/err" || fail "extract (learned): $(cat "$T/err")"
grep -q "decoder.layers.[01].moe: sample tokens [0-9]*, share per group" "$T/lsub.out" || fail "coverage: $(cat "$T/lsub.out")"
grep -q "learned gates measured on 20 sample pairs" "$T/lsub.out" || fail "sample pairs: $(cat "$T/lsub.out")"
# A share no group reaches keeps one group, and says outputs can differ.
"$MOEMT" extract -m "$T/learned" --langs en,fr -o "$T/lsub1" --sample-set corpora/sample --split dev \
  --max-sentences 10 --min-group-share 1 > "$T/lsub1.out" 2> "$T/err" || fail "extract (learned, 1 group): $(cat "$T/err")"
grep -q "decoder: routing learned, keeps 2 of 4 experts" "$T/lsub1.out" || fail "learned kept groups: $(cat "$T/lsub1.out")"
grep -q "keep only their residual" "$T/lsub1.out" || fail "learned exactness line: $(cat "$T/lsub1.out")"
"$MOEMT" translate -m "$T/lsub1" --from en --to fr --quiet < "$T/in.txt" > /dev/null || fail "translate with the 1-group sub-model"
"$MOEMT" translate -m "$T/lsub" --from en --to fr --quiet < "$T/in.txt" > /dev/null || fail "translate with the learned sub-model"
echo "ok"
