#!/usr/bin/env bash
# The PyTorch reference's beam search (scripts/bench/torch_ref/beam_search.py, used by
# scripts/bench/quality_budget.sh) follows moemt's rules: beam 1 = greedy, a sentence decodes
# the same alone and in a batch. Skipped (77) where Debian's python3-torch is not installed.
set -euo pipefail
/usr/bin/python3 -c "import torch" 2> /dev/null || { echo "no python3-torch: skipped"; exit 77; }
OMP_NUM_THREADS=1 /usr/bin/python3 scripts/bench/torch_ref/beam_search_check.py
