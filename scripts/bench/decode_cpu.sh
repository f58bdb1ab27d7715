#!/usr/bin/env bash
# Decoding speed (greedy and beam 4) of moemt against a PyTorch reference of the same
# architecture and against CTranslate2 running the same weights as the PyTorch model, measured
# in one run on the same cores; one JSON line per measure (env, each system x beam, ratios).
#
#   scripts/bench/decode_cpu.sh [--threads 2] [--sentences 64] [--batch-size 16] [--length 64]
#                               [--repeats 3] [--moemt PATH] [--no-moemt] [--work DIR]
#
# Model: dense, d_model 256, 4 heads, ffn 1024, 3+3 layers, vocab 8000 (torch_ref/model.py with
# random weights, seed 1; CTranslate2 gets the very same tensors through its Converter API and
# the script checks that both give the same greedy tokens). Input: the first --sentences lines
# of the synthetic benchmark corpus (torch_ref/corpus.py), tokenised by its sentencepiece model.
# Random weights give arbitrary output lengths, so every system must produce exactly --length
# tokens per sentence (eos forbidden before that: CTranslate2 min/max_decoding_length, torch
# by masking eos; moemt: --max-length, plus --min-length once its translate command has it;
# until then its outputs may stop early at eos, so its real output tokens are counted).
# tokens/s = output tokens of the returned translations (sentences x length, not x beams) /
# median wall time over --repeats runs after a warm-up; for moemt the process start and model
# load (timed on an empty input) are subtracted (torch_ref/moemt_translate.py).
# Reference settings: Debian's python3-torch with the OpenMP OpenBLAS (libopenblas0-openmp),
# torch threads = --threads, GEMM GFLOP/s printed; CTranslate2 from pip (in a venv on
# /usr/bin/python3 with system site packages), float32, intra_threads = --threads,
# inter_threads 1. OMP_WAIT_POLICY=passive for all (see train_cpu.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
THREADS=2 SENTENCES=64 BATCH=16 LENGTH=64 REPEATS=3 RUN_MOEMT=1
MOEMT=${MOEMT:-build/bin/moemt}
WORK=${TMPDIR:-/tmp}/moemt_bench
VENV=${MOEMT_BENCH_VENV:-$HOME/.cache/moemt-bench-venv}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --sentences) SENTENCES=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --length) LENGTH=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --no-moemt) RUN_MOEMT=0; shift ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# --- reference environment (idempotent) ---------------------------------------------------
# shellcheck source=scripts/bench/reference_env.sh
source "$REPO/scripts/bench/reference_env.sh"
# CTranslate2 from PyPI in a venv that still sees Debian's torch, numpy and sentencepiece.
[[ -x $VENV/bin/python ]] || $PY -m venv --system-site-packages "$VENV"
"$VENV/bin/python" -c "import ctranslate2" 2>/dev/null ||
  "$VENV/bin/pip" install -q ctranslate2 >&2

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"bench\":\"decode_cpu\",\"measure\":\"env\",\"nproc\":$(nproc),\"threads\":$THREADS,\"sentences\":$SENTENCES,\"batch_size\":$BATCH,\"output_length\":$LENGTH,\"repeats\":$REPEATS,\"omp_wait_policy\":\"$OMP_WAIT_POLICY\",\"loadavg\":\"$(loadavg)\"}"

mkdir -p "$WORK"
$PY "$REPO/scripts/bench/torch_ref/corpus.py" "$WORK"
SPM=$WORK/spm8k.model
INPUT=$WORK/decode_input.eng_Latn
head -n "$SENTENCES" "$WORK/train.eng_Latn" > "$INPUT"
args=(--input "$INPUT" --spm "$SPM" --sentences "$SENTENCES" --batch-size "$BATCH"
      --length "$LENGTH" --repeats "$REPEATS" --threads "$THREADS" --beams 1 4)
lines=()

# --- moemt --------------------------------------------------------------------------------
if ((RUN_MOEMT)) && [[ -x $MOEMT ]] && "$MOEMT" translate --help > "$WORK/translate_help.txt" 2>&1
then
  model=$WORK/moemt_decode_model
  if [[ ! -d $model ]]; then
    # A dense model of the benchmark shape (one update: the weights do not matter for speed).
    "$MOEMT" train --train-sets "$WORK/train.eng_Latn" "$WORK/train.deu_Latn" --vocabs "$SPM" \
      --model "$model" --overwrite --dim-emb 256 --transformer-heads 4 \
      --transformer-dim-ffn 1024 --enc-depth 3 --dec-depth 3 --cpu-threads "$THREADS" \
      --after 1u --log-level warn > "$WORK/moemt_decode_train.out" 2>&1 ||
      { echo "moemt train failed, see $WORK/moemt_decode_train.out" >&2; exit 1; }
  fi
  # moemt translate has no minimum-length option yet: outputs stop at eos or at --max-length.
  # A near-random model rarely emits eos, so most outputs have --length tokens; the script
  # counts the real output tokens (re-encoded with the same sentencepiece model).
  fixed=(--max-length "$LENGTH" --max-length-factor 1000)
  if grep -q -- "--min-length" "$WORK/translate_help.txt"; then
    fixed+=(--min-length "$LENGTH")
  fi
  for beam in 1 4; do
    line=$($PY "$REPO/scripts/bench/torch_ref/moemt_translate.py" --moemt "$MOEMT" \
      --model "$model" --input "$INPUT" --spm "$SPM" --beam "$beam" --batch-size "$BATCH" \
      --threads "$THREADS" --repeats "$REPEATS" --length "$LENGTH" -- "${fixed[@]}")
    echo "$line"
    lines+=("$line")
  done
else
  echo "{\"bench\":\"decode_cpu\",\"system\":\"moemt\",\"skipped\":\"no '$MOEMT translate' (build the moemt target with the translate command, or pass --moemt)\"}"
fi

# --- PyTorch reference and CTranslate2 ----------------------------------------------------
echo "{\"bench\":\"decode_cpu\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
$PY "$REPO/scripts/bench/torch_ref/decode_bench.py" "${args[@]}" > "$WORK/torch_decode.jsonl"
while read -r line; do echo "$line"; lines+=("$line"); done < "$WORK/torch_decode.jsonl"
if "$VENV/bin/python" "$REPO/scripts/bench/torch_ref/ct2_bench.py" "${args[@]}" \
  > "$WORK/ct2_decode.jsonl" 2> "$WORK/ct2_bench.err"; then
  while read -r line; do echo "$line"; lines+=("$line"); done < "$WORK/ct2_decode.jsonl"
else
  echo "{\"bench\":\"decode_cpu\",\"system\":\"ctranslate2\",\"failed\":\"see $WORK/ct2_bench.err\"}"
fi

# --- ratios -------------------------------------------------------------------------------
printf '%s\n' "${lines[@]}" | $PY "$REPO/scripts/bench/torch_ref/summarize.py" decode-ratios
echo "{\"bench\":\"decode_cpu\",\"measure\":\"loadavg\",\"loadavg\":\"$(loadavg)\"}"
