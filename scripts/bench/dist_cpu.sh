#!/usr/bin/env bash
# Multi-process training on CPU ranks of one machine: per-update time split (compute, all-to-all,
# all-reduce), tokens/s and scaling efficiency for 1, 2 and 4 ranks with expert parallelism over
# all ranks, and scripts/plan's byte estimate against the bytes rank 0 measured. One JSON line
# per rank count (medians over the measured updates) plus an env line.
#
#   scripts/bench/dist_cpu.sh [--ranks "1 2 4"] [--updates 20] [--warmup 3] [--dim 128]
#                             [--moemt PATH] [--work DIR]
#
# Model: Transformer d_model --dim, 2 heads, FFN 4*dim, 2+2 layers, an MoE layer (4 experts,
# top-2, dropless) in every layer, vocabulary 1000, trained on the committed sample
# (corpora/sample/train, eng-deu and eng-fra) with --mini-batch-words 1000; each rank count
# trains --warmup + --updates updates afresh (same vocabulary), logging every update. Ranks
# share the machine's cores (--cpu-threads 0 gives each rank its share), so on a 2-core machine
# more ranks cannot be faster: the efficiency figure is honest about that, not a cluster
# prediction. compute_s = update time - all-to-all - all-reduce time (waiting for slower ranks
# counts as communication).
set -euo pipefail
cd "$(dirname "$0")/../.."
RANKS="1 2 4" UPDATES=20 WARMUP=3 DIM=128
MOEMT=${MOEMT:-build/bin/moemt}
WORK=${TMPDIR:-/tmp}/moemt_bench_dist
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ranks) RANKS=$2; shift 2 ;;
    --updates) UPDATES=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --dim) DIM=$2; shift 2 ;;
    --moemt) MOEMT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
"$MOEMT" version | grep -q "mpi: yes" || { echo "moemt built without MPI" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
export OMP_WAIT_POLICY=passive
S=corpora/sample/train
DATA=(--train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn
      $S/eng_Latn-fra_Latn.eng_Latn $S/eng_Latn-fra_Latn.fra_Latn)
cat > "$WORK/model.yml" <<YML
vocab-size: 1000
dim-emb: $DIM
transformer-heads: 2
transformer-dim-ffn: $((4 * DIM))
enc-depth: 2
dec-depth: 2
transformer-dropout: 0
moe: true
moe-experts: 4
moe-every: 1
moe-capacity-factor: 0
mini-batch-words: 1000
disp-freq: 1u
seed: 3
YML
python3 - "$MOEMT" <<'PY'
import json, os, subprocess, sys
print(json.dumps({"bench": "dist_cpu", "env": True, "cores": os.cpu_count(),
                  "loadavg": os.getloadavg()[0],
                  "moemt": subprocess.check_output([sys.argv[1], "version"], text=True).split("\n")[0]}))
PY
VOCAB=()
for r in $RANKS; do
  ep=$r
  args=(train -c "$WORK/model.yml" --model "$WORK/m$r" --after $((WARMUP + UPDATES))u
        --log "$WORK/r$r.jsonl" "${DATA[@]}" "${VOCAB[@]}")
  (( ep > 1 )) && args+=(--expert-parallel "$ep")
  mpirun --oversubscribe --allow-run-as-root -np "$r" "$MOEMT" "${args[@]}" 2> "$WORK/r$r.err" \
    || { echo "$r ranks failed: $(tail -3 "$WORK/r$r.err")" >&2; exit 1; }
  VOCAB=(--vocabs "$WORK/m${RANKS%% *}/vocab.spm")
  python3 - "$WORK/r$r.jsonl" "$WORK/m$r" "$r" "$ep" "$WARMUP" "$WORK/base_tps" <<'PY'
import json, os, statistics as st, subprocess, sys
log, model, ranks, ep, warmup, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
recs = [json.loads(l) for l in open(log) if '"train"' in l][warmup:]
med = lambda k: st.median(r.get(k, 0.0) for r in recs)
step, a2a, ar = med("seconds"), med("all_to_all_s_per_update"), med("all_reduce_s_per_update")
tps = med("tokens_per_s")
if ranks == 1 or not os.path.exists(base):
    open(base, "w").write(str(tps))
one = float(open(base).read())
out = {"bench": "dist_cpu", "ranks": ranks, "expert_parallel": ep, "updates": len(recs),
       "update_s": step, "compute_s": step - a2a - ar, "all_to_all_s": a2a, "all_reduce_s": ar,
       "tokens_per_s": tps, "scaling_efficiency": tps / (ranks * one),
       "loadavg": os.getloadavg()[0]}
if ranks > 1:
    src = st.median(r["src_tokens"] / r["updates"] for r in recs)
    tgt = st.median(r["tgt_tokens"] / r["updates"] for r in recs)
    plan = json.loads(subprocess.check_output(["scripts/plan", model, "--ranks", str(ranks),
        "--expert-parallel", str(ep), "--src-tokens", str(src), "--tgt-tokens", str(tgt)]))
    out["all_to_all_bytes_measured"] = med("all_to_all_bytes_per_update")
    out["all_to_all_bytes_planned"] = plan["all_to_all_bytes_per_update"]
    out["all_reduce_bytes_measured"] = med("all_reduce_bytes_per_update")
    out["all_reduce_bytes_planned"] = plan["all_reduce_bytes_per_update"]
print(json.dumps(out))
PY
done
