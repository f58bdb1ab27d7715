#!/usr/bin/env bash
# Builds the unit tests of the input-handling modules with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc) in build-asan and runs them; any report fails the run.
# Usage: scripts/sanitize.sh [ctest args...]   (BUILD_DIR=build-asan by default)
# The default subset (core, data, corpus, eval) is every parser and reader of user files
# (safetensors, .mo and Plural-Forms, corpora, TSV, vocabularies) and the scorer, built and run
# in a few minutes on 2 cores; SANITIZE_MODULES="core data ... train" picks others (all eleven
# modules: 268 tests, clean, 38 s of tests but about twice the build). The CLI/end-to-end tests
# need the whole binary and stay out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
BUILD_DIR=${BUILD_DIR:-build-asan}
read -r -a MODULES <<< "${SANITIZE_MODULES:-core data corpus eval}"
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# -O1 -g: readable stacks, still fast; UBSan aborts on the first report (MOEMT_SANITIZE).
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DMOEMT_CUDA=OFF -DMOEMT_TESTS=ON \
  -DMOEMT_SANITIZE=address,undefined "${launcher[@]}" > /dev/null
targets=()
for m in "${MODULES[@]}"; do targets+=("test_$m"); done
cmake --build "$BUILD_DIR" --target "${targets[@]}" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
cd "$BUILD_DIR"
labels=$(IFS='|'; echo "^(${MODULES[*]})\$")
# The mpirun tests (label mpi) need the MPI test binary and OpenMPI under ASan, which reports
# the library's own allocations; they run in the normal build.
ctest --output-on-failure -j"$(nproc)" -L "$labels" -LE mpi "$@"
