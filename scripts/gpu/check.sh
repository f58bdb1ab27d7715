#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with the folder bundle.sh made: the CUDA
# instances of the device-parameterised tests, the CPU/CUDA parity tests (CudaParity.*) and the
# CUDA runtime tests, the NCCL communicator tests (one rank on GPU 0), then the benchmarks
# (grouped GEMM, MoE layer vs dense FFN, training tokens/s vs PyTorch eager with MFU, decoding
# tokens/s; JSON lines), and prints a summary.
# The benchmarks are sized to finish in a few minutes together on an H200.
# Everything runs through the bundled dynamic loader and libraries; the machine's CUDA toolkit
# provides the driver, cuBLAS and NCCL. Usage: scripts/gpu/check.sh [BUNDLE_DIR | BUNDLE.tar.xz]
# (default gpu-bundle, else gpu-bundle.tar.xz). $OUT, where set, receives the logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:-gpu-bundle}
[[ -d $B || ! -f gpu-bundle.tar.xz || $# -gt 0 ]] || B=gpu-bundle.tar.xz
if [[ -f $B && $B == *.tar.xz ]]; then
  mkdir -p /tmp/moemt-bundle && tar -xJf "$B" -C /tmp/moemt-bundle || exit 2
  B=/tmp/moemt-bundle/$(basename "$B" .tar.xz)
fi
[[ -x $B/bin/moemt ]] || { echo "check.sh: no bundle in $B (run scripts/gpu/bundle.sh first)" >&2; exit 2; }
cuda_libs=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
         /usr/lib/x86_64-linux-gnu; do
  [[ -d $d ]] && cuda_libs+=":$d"
done
# The kernels link libcublas.so.13 (and cuBLASLt through it); where the toolkit lacks them, the
# copies PyTorch's wheels install (nvidia/cublas/lib) serve.
if ! ls /usr/local/cuda/lib64/libcublas.so.13* > /dev/null 2>&1 && command -v python3 > /dev/null; then
  d=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [[ -n $d && -d $d ]] && cuda_libs+=":$d"
fi
# libnccl.so.2 (test_dist, moemt): the toolkit's, else PyTorch's wheel (nvidia/nccl/lib), unless
# the bundle has it (BUNDLE_NCCL=1).
if ! ls "$B"/lib/libnccl.so.2 /usr/local/cuda/lib64/libnccl.so.2 /usr/local/cuda/lib/libnccl.so.2 \
     /usr/lib/x86_64-linux-gnu/libnccl.so.2 > /dev/null 2>&1 && command -v python3 > /dev/null; then
  d=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
  [[ -n $d && -d $d ]] && cuda_libs+=":$d"
fi
# The bundled loader, our libraries first, then the toolkit's.
loader=("$B/lib/ld-linux-x86-64.so.2" --library-path "$(realpath "$B")/lib$cuda_libs")
run() { "${loader[@]}" "$@"; }
OUT_DIR=${OUT:-/tmp/moemt-gpu-check}
mkdir -p "$OUT_DIR"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true; } | sed 's/^/gpu: /'
echo "bundle commit: $(cat "$B/COMMIT" 2>/dev/null)"
run "$B/bin/moemt" version
status=0
for t in test_core test_ops test_nn test_moe test_model test_decode test_dist test_train; do
  [[ -x $B/bin/$t ]] || continue
  # CUDA instances (and the core runtime tests) only: the CPU ones ran in CI. test_dist: the
  # NCCL backend's suite (one rank; NCCL refuses two ranks on one GPU) and every backend's
  # device tensors (staged through the host by local and threads); test_train: 2 thread ranks
  # training on one GPU (CudaRanks.*).
  filter='*cuda*:*Cuda*:*Caching*:*Convert*:Tensor.*:Device.*'
  [[ $t == test_dist ]] && filter='*Nccl*:*DeviceTensors*'
  run "$B/bin/$t" --gtest_filter="$filter" \
    --gtest_output="json:$OUT_DIR/$t.json" > "$OUT_DIR/$t.log" 2>&1
  rc=$?
  passed=$(grep -c '^\[       OK \]' "$OUT_DIR/$t.log")
  skipped=$(grep -c '^\[  SKIPPED \]' "$OUT_DIR/$t.log")
  failed=$(grep -c '^\[  FAILED  \]' "$OUT_DIR/$t.log")
  echo "{\"suite\": \"$t\", \"rc\": $rc, \"passed\": $passed, \"skipped\": $skipped, \"failed_lines\": $failed}"
  [[ $rc -eq 0 ]] || { status=1; grep -E '^\[  FAILED|Failure|error' "$OUT_DIR/$t.log" | head -20; }
done
# The grouped expert GEMM against a loop of GEMMs and one dense GEMM of the same FLOPs (one JSON
# line per shape; the issue's goal is grouped_over_dense >= 0.7 on balanced loads).
if [[ -x $B/bin/bench_gemm ]]; then
  for dt in bf16 f32; do
    run "$B/bin/bench_gemm" --device cuda0 --dtype $dt --experts 8,16,64 --tokens 8192,65536 \
      --d 1024 --ffn 4096 2> "$OUT_DIR/bench_gemm_$dt.err" | tee "$OUT_DIR/bench_gemm_$dt.jsonl" ||
      { status=1; tail -5 "$OUT_DIR/bench_gemm_$dt.err"; }
  done
fi
# The MoE layer forward+backward against a dense FFN of the same active FLOPs (one JSON line per
# variant: dropless, capacity 1.25, noisy gating with all losses; goal ratio_moe_over_dense <=
# 1.15), at a GPU-sized layer: d 1024, expert ffn 4096, 16 experts top-2, 16k tokens, f32.
if [[ -x $B/bin/bench_moe ]]; then
  timeout 120 "${loader[@]}" "$B/bin/bench_moe" --device cuda:0 --mode moe_vs_dense \
    --tokens 16384 --d-model 1024 --d-ff 4096 --experts 16 --k 2 --reps 10 --warmup 3 \
    2> "$OUT_DIR/bench_moe.err" | tee "$OUT_DIR/bench_moe.jsonl"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { status=1; tail -5 "$OUT_DIR/bench_moe.err"; }
fi
# Training tokens/s of the transformer-base MoE (d 512, 6+6 layers, 16 experts top-2 in every
# other layer, bf16) against the same model in PyTorch eager (the machine's python3 and torch)
# on the same GPU and data (the bundle's train_data/), with model FLOPs/token and MFU
# (scripts/bench/train_gpu.sh; about 2 minutes; goal moemt_over_torch >= 1.0).
if [[ -f scripts/bench/train_gpu.sh && -d $B/train_data ]]; then
  timeout 270 bash scripts/bench/train_gpu.sh --device cuda:0 --size base --precision bfloat16 \
    --data "$B/train_data" --work "$OUT_DIR/bench_train" -- "${loader[@]}" "$B/bin/moemt" \
    2> "$OUT_DIR/bench_train.err" | tee "$OUT_DIR/bench_train.jsonl"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { status=1; tail -5 "$OUT_DIR/bench_train.err"; }
elif [[ -f scripts/bench/train_gpu.sh ]]; then
  echo '{"bench": "train_gpu", "skipped": "the bundle has no train_data/ (made by an older bundle.sh)"}'
fi
# Decoding tokens/s, greedy and beam 4 at batch 1 and 64, on a transformer-base MoE trained for
# a few updates on the sample (scripts/gpu/bench_decode.sh; needs the repository's corpora/).
if [[ -f scripts/gpu/bench_decode.sh ]]; then
  timeout 180 bash scripts/gpu/bench_decode.sh --device cuda:0 --size base --length 64 \
    --sentences-b1 16 --work "$OUT_DIR/bench_decode" -- "${loader[@]}" "$B/bin/moemt" \
    2> "$OUT_DIR/bench_decode.err" | tee "$OUT_DIR/bench_decode.jsonl"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { status=1; tail -5 "$OUT_DIR/bench_decode.err"; }
fi
echo "check.sh: $([[ $status -eq 0 ]] && echo all passed || echo FAILURES) (logs in $OUT_DIR)"
exit $status
