#!/usr/bin/env bash
# The per-element math shared with CUDA kernels (src/ops/math/*.h, core/philox.h) must compile
# as C++17 (nvcc's dialect) on its own, both as host code and with MOEMT_HOST_DEVICE expanded
# as under nvcc (__host__/__device__ defined away, as no nvcc is needed here). $1 is unused.
set -euo pipefail
cd "$(dirname "$0")/../.."
CXX=${CXX:-c++}
command -v "$CXX" > /dev/null || { echo "no C++ compiler: skipped"; exit 77; }
for h in src/core/host_device.h src/core/philox.h src/ops/math/*.h; do
  for cuda in "" "-D__CUDACC__ -D__host__= -D__device__="; do
    # shellcheck disable=SC2086
    echo "#include \"$h\"" | "$CXX" -std=c++17 -pedantic-errors -Wall -Werror -fsyntax-only \
      -Isrc $cuda -x c++ - || { echo "FAILED: $h as C++17 ${cuda:+(CUDA macros)}"; exit 1; }
  done
  echo "ok $h"
done
