#!/usr/bin/env bash
# CLI integration of the LSTM model (type lstm): train a tiny GNMT-style MoE model on the
# committed sample, check the loss falls, translate with batch 64 and batch 1 (identical
# output), resume from the checkpoint, and --dropout-rnn/--skip/--*-cell-depth from the command
# line.
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
SETS=($S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn)

# Bidirectional first encoder layer, 2+2 LSTM layers with an MoE layer between them (about
# 6 s on one core).
cat > "$T/tiny.yml" <<YML
type: lstm
vocab-size: 500
dim-emb: 32
dim-rnn: 32
transformer-heads: 2
transformer-dim-ffn: 64
enc-depth: 2
dec-depth: 2
enc-type: bidirectional
moe: true
moe-experts: 4
moe-enc-layers: [0]
moe-dec-layers: [0]
mini-batch-words: 800
learn-rate: 0.003
lr-warmup: 10
after: 200u
disp-freq: 10u
YML
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --cpu-threads 1 --both-directions --log "$T/log.jsonl" \
  --train-sets "${SETS[@]}" 2> "$T/train.log" || fail "train: $(tail -3 "$T/train.log")"
grep -q '^type: lstm$' "$T/m/config.yml" || fail "config.yml without type: lstm"
grep -q '"encoder.layers.0.moe"' "$T/log.jsonl" || fail "no routing statistics of the encoder MoE layer"
# The mean loss of the first 10 updates against that of the last 10: observed 6.16 -> 4.87.
losses=$(grep '"type":"train"' "$T/log.jsonl" | grep -o '"loss":[0-9.]*' | cut -d: -f2)
first=$(head -n 1 <<< "$losses"); last=$(tail -n 1 <<< "$losses")
awk -v a="$first" -v b="$last" 'BEGIN { exit !(a - b >= 1.0) }' || fail "loss fell from $first to $last (want >= 1.0)"

# Batch 64 and batch 1 (no length sorting) translate identically, and not to empty lines.
head -n 40 corpora/sample/devtest/eng_Latn.devtest > "$T/in.txt"
"$MOEMT" translate -m "$T/m" --to de -b 3 -i "$T/in.txt" -o "$T/out.b64" --quiet
"$MOEMT" translate -m "$T/m" --to deu_Latn -b 3 --mini-batch 1 --maxi-batch 1 --quiet < "$T/in.txt" > "$T/out.b1"
[[ $(wc -l < "$T/out.b64") -eq 40 ]] || fail "expected 40 output lines"
cmp -s "$T/out.b64" "$T/out.b1" || fail "output depends on the batch size"
[[ $(grep -c . "$T/out.b64") -ge 5 ]] || fail "nearly every output line is empty"

# Resume: the checkpoint (parameters, optimizer, data position) loads back into an LSTM model.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m" --resume --after 210u --cpu-threads 1 --both-directions \
  --train-sets "${SETS[@]}" 2> "$T/resume.log" || fail "resume: $(tail -3 "$T/resume.log")"
grep -q "resumed from .* at update 200" "$T/resume.log" || fail "resume: $(tail -3 "$T/resume.log")"
grep -q '"updates": 210' "$T/m/state.json" || fail "state.json after resume"
# --dropout-rnn, --skip and the cell depths as flags: stored in config.yml, and the model
# translates; out-of-range values are one-line errors.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/d" --after 10u --dropout-rnn 0.2 --skip true \
  --enc-cell-depth 2 --dec-cell-depth 2 --cpu-threads 1 \
  --train-sets "${SETS[@]}" 2> "$T/drop.log" || fail "train with --dropout-rnn: $(tail -3 "$T/drop.log")"
grep -q '^dropout-rnn: 0.2' "$T/d/config.yml" || fail "config.yml without dropout-rnn: 0.2"
grep -q '^skip: true$' "$T/d/config.yml" || fail "config.yml without skip: true"
grep -q '^enc-cell-depth: 2$' "$T/d/config.yml" || fail "config.yml without enc-cell-depth: 2"
grep -q '^dec-cell-depth: 2$' "$T/d/config.yml" || fail "config.yml without dec-cell-depth: 2"
head -n 3 "$T/in.txt" | "$MOEMT" translate -m "$T/d" --to de --quiet > "$T/out.d" || fail "translate with cell depth 2"
[[ $(wc -l < "$T/out.d") -eq 3 ]] || fail "cell depth 2: expected 3 output lines"
if "$MOEMT" train -c "$T/tiny.yml" --model "$T/e" --dropout-rnn 0.95 --train-sets "${SETS[@]}" 2> "$T/bad.log"; then
  fail "--dropout-rnn 0.95 accepted"
fi
grep -q -- "--dropout-rnn: 0.95 is out of range" "$T/bad.log" || fail "--dropout-rnn 0.95: $(cat "$T/bad.log")"
echo "train_translate_lstm: all checks passed (loss $first -> $last)"
