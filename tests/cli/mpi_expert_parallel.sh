#!/usr/bin/env bash
# CLI integration of expert-parallel training: `mpirun -np 2 moemt train --expert-parallel 2`
# logs the global-batch loss of one process and the bytes it sent, writes one checkpoint with
# every expert, which resumes on 1 process and on 3 ranks (groups of 3) with the same losses
# and translates on one process; checkpoints of 1 and 3 ranks resume on 2; each rank holds the
# dense parameters and its own experts only (the logged parameter memory shrinks with the
# group); a group size that does not divide the ranks fails clearly.
# Skips (77) when moemt has no MPI or mpirun is absent.
set -euo pipefail
MOEMT=$1
source "$(dirname "$0")/mpi_common.bash"
# Dropless, noiseless, no dropout or balancing losses: every rank count computes the one-process
# update up to float summation order. 6 experts: groups of 2 and of 3 ranks.
exact_moe_yml "$T/tiny.yml" 6

"${MPIRUN[@]}" -np 2 "$MOEMT" train -c "$T/tiny.yml" --model "$T/m2" --after 6u --expert-parallel 2 \
  --log "$T/m2.jsonl" "${DATA[@]}" 2> "$T/m2.err" || fail "mpirun -np 2 train failed: $(tail -5 "$T/m2.err")"
grep -q "expert parallel: groups of 2 ranks" "$T/m2.err" || fail "no expert-parallel line: $(head -20 "$T/m2.err")"
[[ $(grep -c "training finished after 6 updates" "$T/m2.err") == 1 ]] || fail "not exactly one rank logged"
grep -q "parameter memory per rank (4 buffers: values, gradients, Adam moments): .* MiB (.*%), .* MiB (.*%); a whole replica takes" \
  "$T/m2.err" || fail "no memory line: $(grep "parameter memory" "$T/m2.err")"

"$MOEMT" train -c "$T/tiny.yml" --model "$T/m1" --after 6u --log "$T/m1.jsonl" --vocabs "$T/m2/vocab.spm" \
  "${DATA[@]}" 2> "$T/m1.err" || fail "1-process train failed: $(tail -5 "$T/m1.err")"
python3 - "$T/m1.jsonl" "$T/m2.jsonl" <<'PY' || fail "losses or byte counts"
import json, sys
one, two = ([json.loads(l) for l in open(p) if '"train"' in l] for p in sys.argv[1:3])
assert len(one) == len(two) == 2, (one, two)
for a, b in zip(one, two):
    assert a["update"] == b["update"] and a["tgt_tokens"] == b["tgt_tokens"], (a, b)
    assert abs(a["loss"] - b["loss"]) < 1e-4, (a["loss"], b["loss"])
    # Rank 0 sends rows to rank 1 and all-reduces the dense gradients every update.
    assert b["all_to_all_bytes_per_update"] > 0 and b["all_reduce_bytes_per_update"] > 0, b
    assert b["all_to_all_inter_node_bytes_per_update"] == 0, b  # one node
PY

# scripts/plan's estimate for this model and shape against the bytes rank 0 measured: the
# all-reduce exactly, the all-to-all within 15% (the estimate assumes evenly spread routing).
python3 - "$T/m2.jsonl" "$T/m2" <<'PY' || fail "scripts/plan disagrees with the measured bytes"
import json, subprocess, sys
for r in (json.loads(l) for l in open(sys.argv[1]) if '"train"' in l):
    est = json.loads(subprocess.check_output(
        ["scripts/plan", sys.argv[2], "--ranks", "2", "--expert-parallel", "2",
         "--src-tokens", str(r["src_tokens"] / r["updates"]),
         "--tgt-tokens", str(r["tgt_tokens"] / r["updates"])]))
    assert est["all_reduce_bytes_per_update"] == r["all_reduce_bytes_per_update"], (est, r)
    ratio = r["all_to_all_bytes_per_update"] / est["all_to_all_bytes_per_update"]
    assert 0.85 < ratio < 1.15, (ratio, est, r)
    print(f"update {r['update']}: all-to-all measured/estimated {ratio:.3f}")
PY

# The checkpoint resumes on 1 process and on 3 ranks in one group of 3, with the same losses.
cp -r "$T/m2" "$T/r3"
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m2" --resume --after 8u --disp-freq 1u --log "$T/r1.jsonl" \
  "${DATA[@]}" 2> "$T/r1.err" || fail "resume on 1 process failed: $(tail -5 "$T/r1.err")"
grep -q "resumed from $T/m2 at update 6" "$T/r1.err" || fail "resume: $(cat "$T/r1.err")"
"${MPIRUN[@]}" -np 3 "$MOEMT" train -c "$T/tiny.yml" --model "$T/r3" --resume --after 8u --disp-freq 1u \
  --expert-parallel 3 --log "$T/r3.jsonl" "${DATA[@]}" 2> "$T/r3.err" \
  || fail "resume on 3 ranks failed: $(tail -5 "$T/r3.err")"
grep -q "resumed from $T/r3 at update 6" "$T/r3.err" || fail "resume on 3: $(head -20 "$T/r3.err")"
python3 - "$T/r1.jsonl" "$T/r3.jsonl" <<'PY' || fail "resumed losses differ"
import json, sys
one, three = ([json.loads(l) for l in open(p) if '"train"' in l] for p in sys.argv[1:3])
assert [r["update"] for r in one] == [r["update"] for r in three] == [7, 8], (one, three)
for a, b in zip(one, three):
    assert abs(a["loss"] - b["loss"]) < 1e-4, (a["loss"], b["loss"])
PY

# The reverse: the checkpoints written by 1 process ($T/m2, resumed above) and by 3 ranks resume
# on 2 ranks with the same losses.
for m in m2 r3; do
  "${MPIRUN[@]}" -np 2 "$MOEMT" train -c "$T/tiny.yml" --model "$T/$m" --resume --after 10u --disp-freq 1u \
    --expert-parallel 2 --log "$T/$m.to2.jsonl" "${DATA[@]}" 2> "$T/$m.to2.err" \
    || fail "resume of $m on 2 ranks failed: $(tail -5 "$T/$m.to2.err")"
done
# Per-rank parameter memory (values, gradients, Adam moments): the dense parameters and 1/N of
# the experts, so less than a whole replica, and less with 3 ranks than with 2.
python3 - "$T/m2.to2.jsonl" "$T/r3.to2.jsonl" "$T/m2.jsonl" "$T/r3.jsonl" <<'PY' || fail "resumed on 2"
import json, sys
rec = [[json.loads(l) for l in open(p)] for p in sys.argv[1:]]
a, b = ([r for r in x if r["type"] == "train"] for x in rec[:2])
assert [r["update"] for r in a] == [r["update"] for r in b] == [9, 10], (a, b)
for x, y in zip(a, b):
    assert abs(x["loss"] - y["loss"]) < 1e-4, (x["loss"], y["loss"])
mem2, mem3 = ([r for r in x if r["type"] == "memory"][0] for x in rec[2:])
whole = mem2["replica_param_buffer_bytes"]
assert mem3["replica_param_buffer_bytes"] == whole, (mem2, mem3)
two, three = mem2["param_buffer_bytes_per_rank"], mem3["param_buffer_bytes_per_rank"]
assert len(two) == 2 and len(three) == 3, (mem2, mem3)
assert max(two) < whole and max(three) < min(two), (mem2, mem3)
print("parameter buffers per rank: 2 ranks %.1f%%, 3 ranks %.1f%% of a replica" % (
    100 * two[0] / whole, 100 * three[0] / whole))
PY

# One process translates with the 3-rank model.
echo "Hello world." | "$MOEMT" translate -m "$T/r3" --to de --quiet > "$T/out" || fail "translate failed"
[[ $(wc -l < "$T/out") == 1 ]] || fail "translation: $(cat "$T/out")"

# A group size that does not divide the rank count: one clear line, non-zero exit.
if "${MPIRUN[@]}" -np 3 "$MOEMT" train -c "$T/tiny.yml" --model "$T/bad" --after 2u --expert-parallel 2 \
    "${DATA[@]}" > "$T/bad.out" 2>&1; then
  fail "--expert-parallel 2 on 3 ranks accepted"
fi
grep -q "expert-parallel 2: must divide the number of ranks (3)" "$T/bad.out" || fail "error: $(tail -5 "$T/bad.out")"
echo ok
