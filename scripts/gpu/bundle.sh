#!/usr/bin/env bash
# Builds the CUDA build here (sm_90a + compute_90 PTX) and gathers what a GPU machine without
# our Debian libraries needs into one folder: the moemt binary, the test binaries, the grouped
# GEMM benchmark (bench_gemm), the MoE layer benchmark (bench_moe), every shared
# library they load except the GPU driver, cuBLAS and NCCL (the machine's CUDA toolkit or
# PyTorch's wheels have those; BUNDLE_NCCL=1 adds libnccl, 218 MB for NCCL 2.28), and the
# dynamic loader, so the binaries run there with this machine's glibc; and train_data/, the
# training benchmark's corpus with its sentencepiece model and the same pairs as ids
# (scripts/bench/train_gpu.sh --data; the GPU machine has no sentencepiece for Python).
# Usage: scripts/gpu/bundle.sh [OUT_DIR]   (default gpu-bundle/, ignored by git; BUILD_DIR=build-gpu)
# Writes OUT_DIR and OUT_DIR.tar.xz (~29 MB: OpenBLAS and ICU data are most of it), the one to
# carry to the GPU machine; there, from the repository root: scripts/gpu/check.sh OUT_DIR.tar.xz
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-gpu-bundle}
BUILD_DIR=${BUILD_DIR:-build-gpu}
command -v nvcc > /dev/null || PATH=/usr/local/cuda/bin:$PATH
command -v nvcc > /dev/null || { echo "bundle.sh: nvcc not found (install the CUDA toolkit)" >&2; exit 1; }
scripts/setup.sh > /dev/null
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMOEMT_CUDA=ON -DMOEMT_TESTS=ON \
  -DCMAKE_CUDA_ARCHITECTURES="90a-real;90-virtual" "${launcher[@]}" > /dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"

rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp/bin" "$OUT.tmp/lib"
bins=("$BUILD_DIR/bin/moemt" "$BUILD_DIR/src/ops/bench_gemm" "$BUILD_DIR/src/moe/bench_moe")
for t in "$BUILD_DIR"/tests/test_*; do [[ -x $t && ! $t =~ \.cmake$ ]] && bins+=("$t"); done
cp "${bins[@]}" "$OUT.tmp/bin/"
# Every library the binaries load, but not the driver (libcuda, libnvidia-*) nor cuBLAS/cuBLASLt
# and NCCL (hundreds of MB; the GPU machine's toolkit provides them, check.sh puts it on the
# path; BUNDLE_NCCL=1 copies libnccl for a machine without it).
for b in "${bins[@]}"; do
  ldd "$b" | awk '/=> \// {print $3} /^\s*\/lib.*ld-linux/ {print $1}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libcuda.so*|libnvidia*|libcublas*|libcublasLt*) ;;
    # An if, not `[[ ]] && cp`: as the loop's last command (libnccl sorts last, from
    # /usr/local/cuda/lib) a false test would fail the pipeline and stop the script.
    libnccl.so*) if [[ ${BUNDLE_NCCL:-0} == 1 ]]; then cp -L "$lib" "$OUT.tmp/lib/"; fi ;;
    *) cp -L "$lib" "$OUT.tmp/lib/" ;;
  esac
done
cp -L /lib64/ld-linux-x86-64.so.2 "$OUT.tmp/lib/"
# The training benchmark's data: 12k synthetic pairs, 8000 pieces (deterministic; kept in the
# build folder between bundles, as making it takes a minute of spm_train).
py=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import sentencepiece' > /dev/null 2>&1; then py=$p; break; fi
done
[[ -n $py ]] || { echo "bundle.sh: no python3 imports sentencepiece (scripts/setup.sh --bench)" >&2; exit 1; }
"$py" scripts/bench/torch_ref/corpus.py "$BUILD_DIR/train_gpu_data" --pairs 12000 \
  --vocab-size 8000 --ids > /dev/null
mkdir -p "$OUT.tmp/train_data"
for f in train.eng_Latn train.deu_Latn spm8k.model spm8k.vocab train.ids; do
  cp "$BUILD_DIR/train_gpu_data/$f" "$OUT.tmp/train_data/"
done
git rev-parse HEAD > "$OUT.tmp/COMMIT"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
XZ_OPT=-T0 tar -cJf "$OUT.tar.xz.tmp" "$OUT" && mv "$OUT.tar.xz.tmp" "$OUT.tar.xz"
echo "bundle.sh: $(du -sh "$OUT" | cut -f1) in $OUT ($(ls "$OUT/bin" | wc -l) binaries," \
  "$(ls "$OUT/lib" | wc -l) libraries), $(du -sh "$OUT.tar.xz" | cut -f1) as $OUT.tar.xz"
