#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.cc) with clang, ASan and UBSan in build-fuzz
# and runs them on seed corpora made from committed test data (tests/fuzz/make_seeds.py).
# Usage: scripts/fuzz.sh NAME SECONDS   one harness: mo_reader plural_forms safetensors config
#                                       tokenizer ter
#        scripts/fuzz.sh all SECONDS    each harness in turn for SECONDS
#        scripts/fuzz.sh smoke          each harness for 10 s (CI)
# The growing corpus is build-fuzz/fuzz-corpus/NAME, logs build-fuzz/fuzz-logs/NAME.log, and
# crashes, leaks and timeouts land in build-fuzz/fuzz-findings/NAME/. Exits 1 if any harness
# found something. FUZZ_BUILD_DIR overrides the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
NAMES=(mo_reader plural_forms safetensors config tokenizer ter)
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

usage() {
  sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
what=$1
if [[ $what == smoke ]]; then
  what=all
  secs=10
else
  [[ $# -eq 2 && $2 =~ ^[0-9]+$ ]] || usage
  secs=$2
fi
if [[ $what == all ]]; then
  names=("${NAMES[@]}")
elif [[ " ${NAMES[*]} " == *" $what "* ]]; then
  names=("$what")
else
  echo "fuzz.sh: unknown harness '$what' (known: ${NAMES[*]}, all, smoke)" >&2
  exit 2
fi

scripts/setup.sh --fuzz > /dev/null
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# -O1 -g: the usual setting for sanitizers (readable stacks, still fast); no CUDA, no tests.
cmake -S . -B "$BUILD_DIR" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DMOEMT_CUDA=OFF -DMOEMT_TESTS=OFF \
  -DMOEMT_FUZZ=ON -DMOEMT_SANITIZE=address,undefined "${launcher[@]}" > /dev/null
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
cmake --build "$BUILD_DIR" --target "${targets[@]}" -j"$(nproc)"

# Leaks are checked (libFuzzer's -detect_leaks); a UBSan report aborts (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
for n in "${names[@]}"; do
  corpus=$BUILD_DIR/fuzz-corpus/$n
  findings=$BUILD_DIR/fuzz-findings/$n
  log=$BUILD_DIR/fuzz-logs/$n.log
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  python3 tests/fuzz/make_seeds.py "$n" "$corpus"
  # TER's shift search grows fast with length (a 10 kB pair takes seconds under ASan); 1 kB
  # inputs keep thousands of executions a second and still hold long sentences.
  max_len=8192
  [[ $n == ter ]] && max_len=1024
  rc=0
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GB is far past any real input.
  "$BUILD_DIR/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=$max_len -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" > "$log" 2>&1 ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "fuzz $n: FAILED (exit $rc) after ${execs:-?} executions; see $log and $findings/"
    grep -m1 -E "ERROR: |runtime error|==ERROR|SUMMARY" "$log" || tail -5 "$log"
  else
    echo "fuzz $n: ok, ${execs:-?} executions in ${secs} s, corpus $units inputs"
  fi
done
exit $status
