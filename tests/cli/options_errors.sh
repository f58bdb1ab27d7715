#!/usr/bin/env bash
# CLI: numeric options out of range, impossible memory requests, garbage vocabularies,
# misaligned multi-way sets, whitespace-only lines and batch limits that used to hang. Every
# mistake must end in one "moemt <cmd>: error: ..." line naming the option or file, fast.
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
PAIR="$S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn"
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

# expect_error "what" "expected stderr text" cmd...: the command must fail within 20 s with
# exactly one line on stderr besides [info] progress lines, containing the text, and no
# internal error.
expect_error() {
  local what=$1 want=$2
  shift 2
  local rc=0
  timeout 20 "$@" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
  [[ $rc -ne 0 ]] || fail "$what: accepted"
  [[ $rc -ne 124 ]] || fail "$what: still running after 20 s"
  grep -qF -- "$want" "$T/err" || fail "$what: expected '$want', got: $(cat "$T/err")"
  [[ $(grep -cvE '^\[[0-9: -]+\] \[info\]' "$T/err") -eq 1 ]] || fail "$what: more than one line on stderr: $(cat "$T/err")"
  ! grep -q "internal error" "$T/err" || fail "$what: internal error: $(cat "$T/err")"
}

# 1. Ranges on the command line, named by the long option.
expect_error "huge --dim-emb" "moemt train: error: --dim-emb: 2000000000 is out of range [8, 65536]" \
  "$MOEMT" train --dim-emb 2000000000 --model "$T/m" --train-sets $PAIR
expect_error "NaN learning rate" "--learn-rate: nan is not a finite number" \
  "$MOEMT" train -l nan --model "$T/m" --train-sets $PAIR
expect_error "negative learning rate" "--learn-rate: -0.001 is out of range [0, 1]" \
  "$MOEMT" train --learn-rate -0.001 --model "$T/m" --train-sets $PAIR
expect_error "negative --max-length" "--max-length: -5 is out of range [0, 65536]" \
  "$MOEMT" train --max-length -5 --model "$T/m" --train-sets $PAIR
expect_error "NaN --after" "--after: cannot read 'nanu'" \
  "$MOEMT" train --after nanu --model "$T/m" --train-sets $PAIR
expect_error "beta1 = 1" "--optimizer-params: need beta1 < 1" \
  "$MOEMT" train --optimizer-params 1 0.98 1e-9 --model "$T/m" --train-sets $PAIR
expect_error "translate -b 1e8" "moemt translate: error: --beam-size: 100000000 is out of range [1, 1024]" \
  "$MOEMT" translate -m "$T/none" --to de -b 100000000
expect_error "translate -n nan" "--normalize: nan is not a finite number" \
  "$MOEMT" translate -m "$T/none" --to de -n nan
expect_error "translate --max-length -1" "--max-length: -1 is out of range [1, 65536]" \
  "$MOEMT" translate -m "$T/none" --to de --max-length -1
expect_error "translate --mini-batch 0" "--mini-batch: 0 is out of range [1, 1000000]" \
  "$MOEMT" translate -m "$T/none" --to de --mini-batch 0
expect_error "translate --mini-batch -1" "--mini-batch: -1 is out of range [1, 1000000]" \
  "$MOEMT" translate -m "$T/none" --to de --mini-batch -1
expect_error "eval --beam-size 0" "moemt eval: error: --beam-size: 0 is out of range [1, 1024]" \
  "$MOEMT" eval -m "$T/none" --set corpora/sample -b 0
expect_error "score --width 11" "moemt score: error: --width: 11 is out of range [0, 10]" \
  "$MOEMT" score tests/data/score/deu.ref.txt -i tests/data/score/deu.hyp.txt -w 11
expect_error "score -parn 0" "--paired-ar-n: 0 is out of range [1, 1000000]" \
  "$MOEMT" score tests/data/score/deu.ref.txt -i tests/data/score/deu.hyp.txt -parn 0
RECIPE=$(ls examples/recipes/*.yaml | head -n 1)
expect_error "recipe --cpu-threads -2" "--cpu-threads: -2 is out of range [0, 1024]" \
  "$MOEMT" recipe "$RECIPE" --cpu-threads -2 --dry-run
# Unsigned options used to wrap: "--dev-size -5" built a corpus with a dev set of 2^64 - 5.
expect_error "corpus build --dev-size -5" "moemt corpus: error: --dev-size: -5 is out of range [0, 1000000]" \
  "$MOEMT" corpus build --langs de --out "$T/c" --dev-size -5
expect_error "--seed -1" "--seed: -1 is out of range (must be >= 0)" \
  "$MOEMT" train --seed -1 --model "$T/m" --train-sets $PAIR
[[ ! -e "$T/c" && ! -e "$T/m" ]] || fail "output written despite an option error"

# 2. Ranges in a config file name the file and line.
printf 'dim-emb: 32\ndec-depth: 100000000\n' > "$T/deep.yml"
expect_error "config dec-depth" "deep.yml:2: --dec-depth: 100000000 is out of range [1, 1024]" \
  "$MOEMT" train -c "$T/deep.yml" --model "$T/m" --train-sets $PAIR

# 3. --help shows the ranges.
"$MOEMT" train --help > "$T/help"
grep -qF -- "--dim-emb arg (=256) in [8, 65536]" "$T/help" || fail "train --help lacks the --dim-emb range"
"$MOEMT" translate --help > "$T/help"
grep -qF -- "-b [ --beam-size ] arg (=4) in [1, 1024]" "$T/help" || fail "translate --help lacks the -b range"

# 4. A model no machine can hold fails at once, before any data or vocabulary work, saying
#    what it needs and what to lower.
expect_error "huge model" "lower --dim-emb, --transformer-dim-ffn" \
  "$MOEMT" train --dim-emb 65536 --transformer-dim-ffn 1048576 --enc-depth 1024 --dec-depth 1024 \
  --model "$T/m" --train-sets $PAIR
grep -qE "needs [0-9.]+ PiB but only [0-9.]+ [KMGT]iB of memory is available" "$T/err" || fail "memory message: $(cat "$T/err")"
[[ ! -e "$T/m" ]] || fail "model dir written for an impossible model"

# 5. Vocabulary mistakes in our words, naming the file or option.
head -c 400 /dev/urandom > "$T/garbage.spm"
expect_error "garbage --vocabs" "$T/garbage.spm: not a sentencepiece model" \
  "$MOEMT" train --vocabs "$T/garbage.spm" --model "$T/m" --train-sets $PAIR
expect_error "--vocab-size 5" "--vocab-size 5 is too small: 262 pieces are fixed" \
  "$MOEMT" train --vocab-size 5 --model "$T/m" --train-sets $PAIR
expect_error "--character-coverage 0.5" "--character-coverage: 0.5 is out of range (use 0.98 to 1, or 0 for automatic)" \
  "$MOEMT" train --character-coverage 0.5 --model "$T/m" --train-sets $PAIR
expect_error "--vocab-size below the characters" "--vocab-size 270 is too small for this text" \
  "$MOEMT" train --vocab-size 270 --model "$T/m" --train-sets $PAIR
! grep -q "character_coverage" "$T/err" || fail "sentencepiece's flag name leaked: $(cat "$T/err")"

# 6. A multi-way set with one language a line short is an error, not a table.
mkdir -p "$T/flores/dev"
cp corpora/sample/dev/eng_Latn.dev corpora/sample/dev/fra_Latn.dev "$T/flores/dev/"
head -n 49 corpora/sample/dev/deu_Latn.dev > "$T/flores/dev/deu_Latn.dev"
expect_error "misaligned corpus stats" "has 49; a multi-way set needs the same count in every language" \
  "$MOEMT" corpus stats "$T/flores"

# 7. A tiny dense model for the translate checks (a few seconds).
"$MOEMT" train --model "$T/m" --cpu-threads 1 --vocab-size 400 --dim-emb 16 --transformer-heads 2 \
  --transformer-dim-ffn 32 --enc-depth 1 --dec-depth 1 --after 5u --mini-batch-words 500 \
  --train-sets $PAIR 2> "$T/train.log" || fail "training the tiny model: $(tail -3 "$T/train.log")"
printf 'Hello.\n   \n\t \nGood morning.\n\n' > "$T/in.txt"
"$MOEMT" translate -m "$T/m" --to de --quiet -i "$T/in.txt" > "$T/out.txt"
[[ $(wc -l < "$T/out.txt") -eq 5 ]] || fail "expected 5 output lines, got $(wc -l < "$T/out.txt")"
for n in 2 3 5; do
  [[ -z $(sed -n ${n}p "$T/out.txt") ]] || fail "whitespace-only line $n gave '$(sed -n ${n}p "$T/out.txt")'"
done
# A token budget below one sentence still translates everything, in bounded time.
timeout 60 "$MOEMT" translate -m "$T/m" --to de --quiet --mini-batch-words 1 -i "$T/in.txt" > "$T/out1.txt" || fail "--mini-batch-words 1"
cmp -s "$T/out.txt" "$T/out1.txt" || fail "--mini-batch-words 1 changed the output"
# The model's garbage vocab.spm is named, in one line.
cp -r "$T/m" "$T/m2"
cp "$T/garbage.spm" "$T/m2/vocab.spm"
expect_error "model with a garbage vocab.spm" "$T/m2/vocab.spm: not a sentencepiece model" \
  "$MOEMT" translate -m "$T/m2" --to de
# More threads than cores: capped with one warning, and the output is unchanged.
timeout 60 "$MOEMT" translate -m "$T/m" --to de --quiet --cpu-threads 1000 -i "$T/in.txt" > "$T/out2.txt" 2> "$T/err" \
  || fail "--cpu-threads 1000: $(cat "$T/err")"
grep -qE -- "--cpu-threads 1000: only [0-9]+ core\(s\) available to this process; using [0-9]+ threads" "$T/err" \
  || fail "no cap warning: $(cat "$T/err")"
cmp -s "$T/out.txt" "$T/out2.txt" || fail "--cpu-threads 1000 changed the output"
# --devices: a GPU index past the last visible device (or any GPU in a build or on a machine
# without one) is one line naming --devices, before any data or model is read; a list needs
# one entry per process on this node.
expect_error "train on a missing GPU" "moemt train: error: --devices 99: " \
  "$MOEMT" train --devices 99 --model "$T/m3" --train-sets $PAIR
expect_error "translate on a missing GPU" "moemt translate: error: --devices cuda:99: " \
  "$MOEMT" translate -m "$T/m" --to de --devices cuda:99 -i "$T/in.txt"
expect_error "eval on a missing GPU" "moemt eval: error: --devices gpu99: " \
  "$MOEMT" eval -m "$T/m" --set "$T/flores" --devices gpu99
expect_error "recipe on a missing GPU" "moemt recipe: error: --devices 99: " \
  "$MOEMT" recipe "$RECIPE" --devices 99 --dry-run --out "$T/recipe"
expect_error "two devices for one process" "--devices 0 1: 2 devices for 1 process(es) on this node" \
  "$MOEMT" train --devices 0 1 --model "$T/m3" --train-sets $PAIR
expect_error "a bad device name" "--devices tpu0: bad device 'tpu0'" \
  "$MOEMT" translate -m "$T/m" --to de --devices tpu0 -i "$T/in.txt"
"$MOEMT" translate -m "$T/m" --to de --quiet --devices cpu -i "$T/in.txt" > "$T/out3.txt" || fail "--devices cpu"
cmp -s "$T/out.txt" "$T/out3.txt" || fail "--devices cpu changed the output"
echo "options_errors: all checks passed"
