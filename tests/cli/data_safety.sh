#!/usr/bin/env bash
# CLI integration: nothing a user owns is deleted or emptied. A folder that is not a model is
# never trained into, translate never writes over its input or leaves half a file, SIGTERM and
# SIGINT save a checkpoint and stop, --resume refuses changed architecture options, and stale
# temporaries of a killed save are removed on the next start.
set -euo pipefail
set -m  # job control: background jobs get SIGINT like a foreground one, not SIG_IGN
MOEMT=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
DATA=(--train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn)
TINY=(--vocab-size 500 --transformer-heads 2 --transformer-dim-ffn 64 --enc-depth 1
      --dec-depth 1 --mini-batch-words 800 --cpu-threads 1)

# A folder that holds something else is refused, with or without --overwrite; nothing is lost.
mkdir -p "$T/notes" && echo keep > "$T/notes/notes.txt"
for extra in "" --overwrite; do
  if "$MOEMT" train -m "$T/notes" "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 5u $extra 2> "$T/err"; then
    fail "trained into a user's folder ($extra)"
  fi
  grep -q "holds no moemt model" "$T/err" || fail "message: $(cat "$T/err")"
  [[ $(cat "$T/notes/notes.txt") == keep ]] || fail "user's file changed"
done
echo keep > "$T/afile"
if "$MOEMT" train -m "$T/afile" "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 5u 2> "$T/err"; then fail "trained over a file"; fi
[[ $(cat "$T/afile") == keep ]] || fail "user's file changed"

# A model to translate with.
"$MOEMT" train -m "$T/m" "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 10u 2> "$T/train.log"

# translate: the same file for input and output is refused and left intact; a directory as
# input is an error; a failed run leaves the previous output file as it was.
head -n 3 corpora/sample/devtest/eng_Latn.devtest > "$T/f.txt"
cp "$T/f.txt" "$T/f.orig"
if "$MOEMT" translate -m "$T/m" --to de -i "$T/f.txt" -o "$T/f.txt" 2> "$T/err"; then fail "same file accepted"; fi
cmp -s "$T/f.txt" "$T/f.orig" || fail "input emptied"
grep -q "both the input and an output" "$T/err" || fail "same-file message: $(cat "$T/err")"
ln -s "$T/f.txt" "$T/link.txt"
if "$MOEMT" translate -m "$T/m" --to de -i "$T/f.txt" -o "$T/link.txt" 2> "$T/err"; then fail "same file via a link accepted"; fi
cmp -s "$T/f.txt" "$T/f.orig" || fail "input emptied through a link"
if "$MOEMT" translate -m "$T/m" --to de -i "$T" -o "$T/out.txt" 2> "$T/err"; then fail "directory input accepted"; fi
grep -q "is a directory" "$T/err" || fail "directory message: $(cat "$T/err")"
echo previous > "$T/out.txt"
printf 'ok\nbad \xff byte\n' > "$T/bad.txt"
if "$MOEMT" translate -m "$T/m" --to de -i "$T/bad.txt" -o "$T/out.txt" 2> "$T/err"; then fail "bad input accepted"; fi
[[ $(cat "$T/out.txt") == previous ]] || fail "failed run replaced the old output: $(cat "$T/out.txt")"
[[ -z $(ls "$T" | grep '\.tmp\.') ]] || fail "temporary file left: $(ls "$T")"
"$MOEMT" translate -m "$T/m" --to de -i "$T/f.txt" -o "$T/out.txt" --quiet || fail "translate: rc $?"
[[ $(wc -l < "$T/out.txt") -eq 3 ]] || fail "expected 3 output lines"

# --resume with a changed architecture option is refused, naming the option.
if "$MOEMT" train -m "$T/m" --resume "${DATA[@]}" "${TINY[@]}" --dim-emb 64 --after 12u 2> "$T/err"; then
  fail "--resume accepted a changed --dim-emb"
fi
grep -q -- "--dim-emb 64: --resume keeps the checkpoint's value 32" "$T/err" || fail "resume message: $(cat "$T/err")"

# A stale temporary of a killed save (dead PID) is removed on the next start; a live one is not.
sleep 0 & dead=$!; wait $dead
mkdir -p "$T/m.writing.$dead/sub" && echo x > "$T/m.writing.$dead/sub/model.safetensors"
"$MOEMT" train -m "$T/m" --resume "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 12u 2> "$T/resume.log"
[[ ! -e "$T/m.writing.$dead" ]] || fail "stale temporary not removed"
grep -q "removed 1 stale temporary" "$T/resume.log" || fail "no word about the removal"

# SIGTERM (Slurm preemption): a checkpoint at the next update boundary, exit 128+15.
"$MOEMT" train -m "$T/s" "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 100000u --disp-freq 1u 2> "$T/s.log" &
pid=$!
for _ in $(seq 600); do grep -q "Up. 3 " "$T/s.log" 2>/dev/null && break; sleep 0.1; done
grep -q "Up. 3 " "$T/s.log" || { kill -9 $pid; fail "training did not start: $(tail -3 "$T/s.log")"; }
kill -TERM $pid
rc=0; wait $pid || rc=$?
[[ $rc -eq 143 ]] || fail "SIGTERM exit status $rc, expected 143: $(tail -3 "$T/s.log")"
grep -q "interrupted by SIGTERM: checkpoint saved" "$T/s.log" || fail "no save message: $(tail -3 "$T/s.log")"
up=$(grep -o '"updates": [0-9]*' "$T/s/state.json" | grep -o '[0-9]*$')
[[ $up -ge 3 ]] || fail "checkpoint at update $up"
"$MOEMT" train -m "$T/s" --resume "${DATA[@]}" "${TINY[@]}" --after $((up + 2))u 2> "$T/s2.log"
grep -q "resumed from .* at update $up" "$T/s2.log" || fail "resume after SIGTERM: $(tail -3 "$T/s2.log")"

# SIGINT twice (Ctrl-C, Ctrl-C): the second quits at once; exit status 130 either way.
"$MOEMT" train -m "$T/i" "${DATA[@]}" "${TINY[@]}" --dim-emb 32 --after 100000u --disp-freq 1u 2> "$T/i.log" &
pid=$!
for _ in $(seq 600); do grep -q "Up. 2 " "$T/i.log" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid; kill -INT $pid
rc=0; wait $pid || rc=$?
[[ $rc -eq 130 ]] || fail "SIGINT exit status $rc"
echo "data_safety: all checks passed"
