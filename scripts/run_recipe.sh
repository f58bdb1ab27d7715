#!/usr/bin/env bash
# Runs a recipe end to end on this machine: installs packages, builds moemt, then
# corpus build -> train -> eval, printing the final table. Resumable: run it again after an
# interruption and finished steps are skipped, training resumes from its last checkpoint.
# Usage: scripts/run_recipe.sh RECIPE.yaml [--out DIR] [--flores DIR] [moemt recipe options]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: scripts/run_recipe.sh examples/recipes/NAME.yaml [--out DIR] [--flores DIR]" >&2
  exit 2
fi
scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target moemt
# Sleeping rather than spinning OpenMP threads: far faster whenever the cores are shared.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# Evaluate on the real FLORES-200 too when the shared copy is beside the checkout.
extra=()
if [[ " $* " != *" --flores "* && -d ../shared/data/flores200/devtest ]]; then
  extra=(--flores ../shared/data/flores200)
fi
exec "$BUILD_DIR/bin/moemt" recipe "$@" "${extra[@]}"
