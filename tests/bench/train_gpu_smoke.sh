#!/usr/bin/env bash
# scripts/bench/train_gpu.sh (moemt vs the PyTorch reference, training tokens/s and MFU; run on
# cuda:0 by scripts/gpu/check.sh) at --size tiny on the CPU, so it cannot rot: both systems
# train a few updates of a 2+2-layer MoE in bfloat16 (the reference under autocast) on the
# same ids; checks each system's line and the summary's fields. Skips (exit 77) where no
# python3 here imports torch.
# Usage: train_gpu_smoke.sh MOEMT
set -euo pipefail
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import torch, sentencepiece' > /dev/null 2>&1; then PY=$p; break; fi
done
[[ -n $PY ]] || { echo "SKIP: no python3 here imports torch and sentencepiece (the reference; scripts/setup.sh --bench installs Debian's)"; exit 77; }

bash scripts/bench/train_gpu.sh --device cpu --size tiny --precision bfloat16 --threads 1 \
  --python "$PY" --work "$T/work" -- "$MOEMT" > "$T/out.jsonl" 2> "$T/err" ||
  fail "train_gpu.sh exited $?: $(cat "$T/out.jsonl" "$T/err")"
grep -qE '^\{"bench": "train_gpu", "system": "moemt", .*"device": "cpu", "precision": "(bfloat16|float32)", "rc": 0, .*"tokens_per_s": [0-9.]+, .*"steps": 3,' \
  "$T/out.jsonl" || fail "no moemt line: $(cat "$T/out.jsonl" "$T/err")"
grep -qE '^\{"bench": "train_gpu", "system": "torch", .*"device": "cpu", "precision": "bfloat16", .*"tokens_per_s": [0-9.]+, .*"steps": 3,' \
  "$T/out.jsonl" || fail "no torch line: $(cat "$T/out.jsonl")"
grep -qE '^\{"bench": "train_gpu", "measure": "summary", .*"model_flops_per_token": [1-9][0-9]*, .*"moemt_mfu": null, .*"torch_precision": "bfloat16", .*"moemt_over_torch": [0-9.]+\}$' \
  "$T/out.jsonl" || fail "no summary line: $(cat "$T/out.jsonl")"
# The reference's ids: the pairs of 300 within 256 tokens a side (as moemt's --max-length).
n=$(grep -cP '^[0-9 ]+\t[0-9 ]+$' "$T/work/data/train.ids")
[[ $n -ge 200 && $n -le 300 && $n -eq $(wc -l < "$T/work/data/train.ids") ]] ||
  fail "train.ids: $n well-formed pairs of $(wc -l < "$T/work/data/train.ids")"
# A precision neither system has is refused before anything runs.
if bash scripts/bench/train_gpu.sh --precision float16 -- "$MOEMT" > /dev/null 2> "$T/err2"; then
  fail "train_gpu.sh accepted --precision float16"
fi
grep -q 'precision float32 or bfloat16' "$T/err2" || fail "precision message: $(cat "$T/err2")"
echo "train_gpu_smoke: moemt and the PyTorch reference print their lines and the MFU summary"
