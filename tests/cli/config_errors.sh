#!/usr/bin/env bash
# `-c config.yml` mistakes found by fuzzing (tests/fuzz/fuzz_config.cc) and review: each gives
# one clear error line and exit status 1; they were internal errors (exit 3), hangs and a
# stack overflow.
set -euo pipefail
MOEMT=${1:?usage: config_errors.sh /path/to/moemt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

expect_error() {  # name, expected message part; the YAML is on stdin
  cat > "$TMP/$1.yml"
  rc=0
  timeout 60 "$MOEMT" train -c "$TMP/$1.yml" > "$TMP/out" 2> "$TMP/err" || rc=$?
  if [[ $rc -ne 1 ]]; then echo "$1: exit $rc, expected 1"; cat "$TMP/err"; exit 1; fi
  grep -qF "$1.yml:" "$TMP/err" || { echo "$1: error does not name the file"; cat "$TMP/err"; exit 1; }
  grep -qF -- "$2" "$TMP/err" || { echo "$1: expected '$2'"; cat "$TMP/err"; exit 1; }
  [[ $(wc -l < "$TMP/err") -eq 1 ]] || { echo "$1: more than one line"; cat "$TMP/err"; exit 1; }
}

# A map where a list item belongs (the fuzzer's find) and a list as an option name.
printf 'train-sets: [{a: b}]\n' | expect_error item "a list item must be a plain value, not a map"
printf '[a, b]: 1\n' | expect_error key "an option name must be a plain value, not a list"
# Aliases that double at each level: 2^30 empty maps to walk.
{
  echo 'l0: &l0 {}'
  for i in $(seq 1 29); do echo "l$i: &l$i {a: *l$((i - 1)), b: *l$((i - 1))}"; done
} | expect_error alias "more than 10000 entries"
# A map that contains itself.
printf 'a: &x {b: *x}\n' | expect_error cycle "maps nested deeper than 16 levels"
# Nesting past yaml-cpp's own guard.
{
  printf 'a: '
  printf '%.0s[' $(seq 5000)
  printf '%.0s]' $(seq 5000)
  echo
} | expect_error deep "YAML nested deeper than"
# A bad value that holds Boost's own placeholder: Boost's message formatting looped forever
# (a fuzzer find), from a config file and from the command line alike. Bounded numeric options
# word their own errors; a bool option still goes through Boost's message.
printf 'moe:\n  experts: 8%%value%%\n' |
  expect_error percent "--moe-experts: '8%value%' is not a whole number"
printf 'tied-embeddings-all: x%%value%%\n' |
  expect_error percent_bool "the argument ('x%value%') for option '--tied-embeddings-all' is invalid"
for args in "--moe-experts 8%value%" "--tied-embeddings-all x%value%"; do
  rc=0
  # shellcheck disable=SC2086
  timeout 60 "$MOEMT" train $args 2> "$TMP/err" || rc=$?
  [[ $rc -eq 1 ]] || { echo "command line $args: exit $rc, expected 1"; exit 1; }
  grep -qF "%value%" "$TMP/err" || { cat "$TMP/err"; exit 1; }
done
echo "config_errors: ok"
