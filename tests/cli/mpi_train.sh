#!/usr/bin/env bash
# CLI integration of multi-process training: `mpirun -np 2 moemt train` on the committed sample
# logs once (rank 0), writes one checkpoint that a single process resumes, and reports its
# global-batch loss like one process does, with --optimizer-delay too. Skips (77) when moemt
# has no MPI or mpirun is absent.
set -euo pipefail
MOEMT=$1
source "$(dirname "$0")/mpi_common.bash"
MPIRUN+=(-np 2)
# No dropout, noise, capacity or balancing losses: the 2-process run computes the 1-process
# step up to float summation order.
exact_moe_yml "$T/tiny.yml" 4

"${MPIRUN[@]}" "$MOEMT" train -c "$T/tiny.yml" --model "$T/m2" --after 6u --log "$T/m2.jsonl" "${DATA[@]}" \
  2> "$T/m2.err" || fail "mpirun -np 2 train failed: $(tail -5 "$T/m2.err")"
grep -q "data parallel: 2 ranks (mpi)" "$T/m2.err" || fail "no data-parallel line: $(head -20 "$T/m2.err")"
[[ $(grep -c "training finished after 6 updates" "$T/m2.err") == 1 ]] || fail "not exactly one rank logged"
[[ $(grep -c '"type":"train"' "$T/m2.jsonl") == 2 ]] || fail "JSON log: $(cat "$T/m2.jsonl")"
for f in model.safetensors optimizer.safetensors state.json vocab.spm; do
  [[ -s "$T/m2/$f" ]] || fail "missing $f"
done

# The same 6 updates in one process (with the vocabulary rank 0 trained) log the same loss.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m1" --after 6u --log "$T/m1.jsonl" --vocabs "$T/m2/vocab.spm" \
  "${DATA[@]}" 2> "$T/m1.err" || fail "1-process train failed: $(tail -5 "$T/m1.err")"
python3 - "$T/m1.jsonl" "$T/m2.jsonl" <<'PY' || fail "losses differ"
import json, sys
one, two = ([json.loads(l) for l in open(p) if '"train"' in l] for p in sys.argv[1:3])
for a, b in zip(one, two):
    assert a["update"] == b["update"] and a["tgt_tokens"] == b["tgt_tokens"], (a, b)
    assert abs(a["loss"] - b["loss"]) < 1e-4, (a["loss"], b["loss"])
PY

# The sums start during backward by default (MPI_Iallreduce); summing after backward instead
# gives the same losses bit for bit (2 ranks: a + b either way).
grep -q "gradient sums start during backward" "$T/m2.err" || fail "no overlap line: $(head -20 "$T/m2.err")"
"${MPIRUN[@]}" "$MOEMT" train -c "$T/tiny.yml" --model "$T/m2s" --after 6u --log "$T/m2s.jsonl" \
  --vocabs "$T/m2/vocab.spm" --overlap-grad-reduce false "${DATA[@]}" 2> "$T/m2s.err" \
  || fail "mpirun -np 2 train --overlap-grad-reduce false failed: $(tail -5 "$T/m2s.err")"
! grep -q "gradient sums start during backward" "$T/m2s.err" || fail "overlap despite false"
python3 - "$T/m2.jsonl" "$T/m2s.jsonl" <<'PY' || fail "overlapped and plain gradient sums differ"
import json, sys
a, b = ([(r["update"], r["loss"], r["grad_norm"]) for r in map(json.loads, open(p)) if r.get("type") == "train"] for p in sys.argv[1:3])
assert a == b and a, (a, b)
PY

# --optimizer-delay 2: each rank takes its shard of both mini-batches of an update; the
# losses are one process's (delay 2 too) within 1e-4.
"${MPIRUN[@]}" "$MOEMT" train -c "$T/tiny.yml" --model "$T/d2" --after 4u --optimizer-delay 2 --disp-freq 1u \
  --log "$T/d2.jsonl" --vocabs "$T/m2/vocab.spm" "${DATA[@]}" 2> "$T/d2.err" \
  || fail "mpirun -np 2 train --optimizer-delay 2 failed: $(tail -5 "$T/d2.err")"
"$MOEMT" train -c "$T/tiny.yml" --model "$T/d1" --after 4u --optimizer-delay 2 --disp-freq 1u \
  --log "$T/d1.jsonl" --vocabs "$T/m2/vocab.spm" "${DATA[@]}" 2> "$T/d1.err" \
  || fail "1-process train --optimizer-delay 2 failed: $(tail -5 "$T/d1.err")"
python3 - "$T/d1.jsonl" "$T/d2.jsonl" <<'PY' || fail "--optimizer-delay 2: losses differ"
import json, sys
one, two = ([json.loads(l) for l in open(p) if '"train"' in l] for p in sys.argv[1:3])
assert [r["update"] for r in one] == [r["update"] for r in two] == [1, 2, 3, 4], (one, two)
for a, b in zip(one, two):
    assert a["tgt_tokens"] == b["tgt_tokens"] and a["sentences"] == b["sentences"], (a, b)
    assert abs(a["loss"] - b["loss"]) < 1e-4, (a["loss"], b["loss"])
PY

# The 2-process checkpoint resumes in one process at the same data position.
"$MOEMT" train -c "$T/tiny.yml" --model "$T/m2" --resume --after 8u "${DATA[@]}" 2> "$T/r.err" \
  || fail "resume on 1 process failed: $(tail -5 "$T/r.err")"
grep -q "resumed from $T/m2 at update 6" "$T/r.err" || fail "resume: $(cat "$T/r.err")"
grep -q "training finished after 8 updates" "$T/r.err" || fail "resume did not finish"

# A rank that fails stops the whole job with its message instead of leaving rank 0 waiting:
# rank 1 is given a training file that does not exist (MPMD launch), rank 0 a long timeout.
start=$SECONDS
if mpirun --oversubscribe --allow-run-as-root \
    -np 1 "$MOEMT" train -c "$T/tiny.yml" --model "$T/m3" --after 6u --comm-timeout 600 "${DATA[@]}" : \
    -np 1 "$MOEMT" train -c "$T/tiny.yml" --model "$T/m3" --after 6u --comm-timeout 600 \
    --train-sets $S/missing.eng_Latn $S/missing.deu_Latn > "$T/f.out" 2>&1; then
  fail "a failing rank did not fail the job"
fi
grep -q "rank 1 of 2 failed: .*missing.eng_Latn" "$T/f.out" || fail "failure message: $(cat "$T/f.out")"
(( SECONDS - start < 120 )) || fail "the job took $((SECONDS - start)) s to stop"
[[ ! -e "$T/m3/model.safetensors" ]] || fail "a checkpoint was written"
echo ok
