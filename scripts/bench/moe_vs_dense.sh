#!/usr/bin/env bash
# Quality of the quickstart MoE model vs its dense twin with the same active FLOPs, trained on
# the same corpus with the same budget (updates, batch size, schedule). Prints one JSON line
# per model with its averages, from the reports `moemt eval` writes.
# Usage: scripts/bench/moe_vs_dense.sh [WORK_DIR]   (default runs/moe_vs_dense; resumable)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-runs/moe_vs_dense}
MOEMT=${MOEMT:-build/bin/moemt}
mkdir -p "$WORK/moe" "$WORK/dense"
"$MOEMT" recipe examples/recipes/quickstart.yaml --out "$WORK/moe" --steps corpus
# The dense run reads the very same corpus.
[[ -e "$WORK/dense/corpus" ]] || ln -s "$(cd "$WORK/moe" && pwd)/corpus" "$WORK/dense/corpus"
for kind in moe dense; do
  recipe=examples/recipes/quickstart.yaml
  [[ $kind == dense ]] && recipe=examples/recipes/quickstart-dense.yaml
  "$MOEMT" recipe "$recipe" --out "$WORK/$kind" --steps train eval > "$WORK/$kind.table.md"
done
for kind in moe dense; do
  python3 - "$WORK/$kind/eval/report.json" "$kind" <<'PY' 2>/dev/null || echo "{\"model\":\"$kind\",\"report\":\"$WORK/$kind/eval/report.md\"}"
import json, sys
r = json.load(open(sys.argv[1]))
out = {"bench": "moe_vs_dense", "model": sys.argv[2]}
for a in r.get("averages", []):
    out[a.get("name", "avg")] = {k: a[k] for k in ("bleu", "chrf++") if k in a}
print(json.dumps(out))
PY
done
