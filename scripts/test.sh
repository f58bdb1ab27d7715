#!/usr/bin/env bash
# The test command: install packages, configure, build and run every test with ctest.
# Usage: scripts/test.sh [ctest args...]   (BUILD_DIR=build by default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMOEMT_TESTS=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
