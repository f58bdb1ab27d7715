#!/usr/bin/env bash
# CLI test of --precision (Marian's flag) on the CPU's reference path: a tiny MoE model trained
# with --precision bfloat16 says so in its log and writes f32 checkpoints; translate and eval
# take --precision too (a memory-mapped model, whose bf16 copy is refreshed per parameter,
# translates exactly as the loaded one); float16 and bad values are one-line errors.
set -uo pipefail
MOEMT=${1:?usage: precision.sh /path/to/moemt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
check() {  # name, expected, actual
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
export OMP_NUM_THREADS=1
T=corpora/sample/train
"$MOEMT" train --train-sets $T/eng_Latn-deu_Latn.eng_Latn $T/eng_Latn-deu_Latn.deu_Latn \
  --vocab-size 500 --dim-emb 32 --transformer-heads 2 --transformer-dim-ffn 64 --enc-depth 1 \
  --dec-depth 1 --moe --moe-experts 4 --after 12u --cpu-threads 1 --precision bfloat16 \
  --model "$TMP/m" >"$TMP/train.log" 2>&1 || { cat "$TMP/train.log"; echo "FAIL training"; exit 1; }
grep -q 'precision: GEMM inputs in bf16 (f32 master weights' "$TMP/train.log" \
  && ok "train logs the precision" || bad "train logs the precision"
if command -v python3 >/dev/null; then
  # The safetensors header lists every tensor's dtype: all F32.
  dtypes=$(python3 -c 'import json,struct,sys
f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; h=json.loads(f.read(n))
print(" ".join(sorted({v["dtype"] for k,v in h.items() if k!="__metadata__"})))' "$TMP/m/model.safetensors")
  check "checkpoint tensors are f32" "F32" "$dtypes"
fi

head -8 corpora/sample/devtest/eng_Latn.devtest >"$TMP/in.txt"
for mode in eager mmap; do
  extra=(); [[ $mode == mmap ]] && extra=(--mmap)
  # --min-length: a 12-update model would otherwise end every sentence at once.
  "$MOEMT" translate -m "$TMP/m" --to deu_Latn --precision bfloat16 --cpu-threads 1 --quiet \
    --min-length 3 --max-length 8 \
    "${extra[@]}" <"$TMP/in.txt" >"$TMP/out.$mode" 2>"$TMP/err.$mode"
  check "translate --precision bfloat16 ($mode) exit status" 0 "$?"
done
check "8 translated lines" 8 "$(grep -c . "$TMP/out.eager")"
check "mmap translates as the loaded model" "$(cat "$TMP/out.eager")" "$(cat "$TMP/out.mmap")"
"$MOEMT" eval -m "$TMP/m" --set corpora/sample --split devtest --max-sentences 4 -b 1 \
  --cpu-threads 1 --precision bfloat16 -o "$TMP/eval" >/dev/null 2>"$TMP/eval.err"
check "eval --precision bfloat16 exit status" 0 "$?"
[[ -s "$TMP/eval/report.json" ]] && ok "eval wrote its report" || bad "eval wrote its report"

"$MOEMT" translate -m "$TMP/m" --to deu_Latn --precision float16 <"$TMP/in.txt" >/dev/null 2>"$TMP/e1"
check "float16 refused" "moemt translate: error: --precision float16: not supported (moemt's mixed precision is bfloat16, which needs no loss scaling); use bfloat16 or float32" "$(cat "$TMP/e1")"
"$MOEMT" eval -m "$TMP/m" --set corpora/sample --split devtest --precision half -o "$TMP/e" >/dev/null 2>"$TMP/e2"
check "bad value refused" "moemt eval: error: --precision half: expected float32 or bfloat16" "$(cat "$TMP/e2")"
[[ ! -e "$TMP/e" ]] && ok "nothing written on error" || bad "nothing written on error"
exit $fail
