#!/usr/bin/env bash
# CLI test of `moemt eval`: trains a tiny model on the committed sample corpus (a few seconds),
# evaluates en-x/x-en on the first 20 devtest lines, checks the report files and table rows,
# re-scores the written hypotheses with `moemt score` (same BLEU/chrF++ as the report), runs
# --compare against itself and -f json, --expert-usage on a tiny MoE model, and checks the
# user errors.
set -uo pipefail
MOEMT=${1:?usage: eval_cli.sh /path/to/moemt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
check() {  # name, expected, actual
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
T=corpora/sample/train
"$MOEMT" train --train-sets $T/eng_Latn-deu_Latn.eng_Latn $T/eng_Latn-deu_Latn.deu_Latn \
  $T/eng_Latn-fra_Latn.eng_Latn $T/eng_Latn-fra_Latn.fra_Latn --both-directions \
  --vocab-size 500 --dim-emb 32 --transformer-heads 2 --transformer-dim-ffn 64 --enc-depth 1 \
  --dec-depth 1 --after 10u --cpu-threads 1 --log-level warn --model "$TMP/m" >"$TMP/train.log" 2>&1 \
  || { cat "$TMP/train.log"; echo "FAIL training the tiny model"; exit 1; }

# 1. The evaluation itself: 4 directions (en<->deu, en<->fra) on 20 lines, greedy.
"$MOEMT" eval -m "$TMP/m" --set corpora/sample --split devtest --max-sentences 20 -b 1 \
  --cpu-threads 1 -o "$TMP/out" >"$TMP/stdout.md" 2>"$TMP/stderr.txt"
rc=$?
check "eval exit status" 0 "$rc"
[[ $rc == 0 ]] || cat "$TMP/stderr.txt"
for f in report.md report.json hyp.eng_Latn-deu_Latn.txt hyp.eng_Latn-fra_Latn.txt \
         hyp.deu_Latn-eng_Latn.txt hyp.fra_Latn-eng_Latn.txt; do
  [[ -s "$TMP/out/$f" ]] && ok "wrote $f" || bad "wrote $f"
done
check "report.md is what stdout shows (logs on stderr)" "$(cat "$TMP/out/report.md")" "$(cat "$TMP/stdout.md")"
check "no X->Y by default" "" "$(ls "$TMP/out" | grep 'hyp.deu_Latn-fra_Latn' || true)"
grep -q '^| en→X | 2 |' "$TMP/out/report.md" && ok "en→X average row" || bad "en→X average row"
grep -q '^| X→en | 2 |' "$TMP/out/report.md" && ok "X→en average row" || bad "X→en average row"
grep -q 'tok:13a' "$TMP/out/report.md" && ok "signature listed" || bad "signature listed"
grep -q 'sent/s' "$TMP/stderr.txt" && ok "progress on stderr" || bad "progress on stderr"

# 2. Every direction re-scored from its hypothesis file gives the report's numbers: two
# decimals against the Markdown row, four against report.json (when python3 is there to read
# it; a model this small scores near zero, so the extra digits are what can differ).
jget() {  # direction key, field
  python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
d=[d for d in r["directions"] if d["src"]+"-"+d["tgt"]==sys.argv[2]][0]
print("%.4f" % d[sys.argv[3]])' "$TMP/out/report.json" "$1" "$2"
}
have_py=0; command -v python3 >/dev/null && have_py=1
for d in eng_Latn-deu_Latn eng_Latn-fra_Latn deu_Latn-eng_Latn fra_Latn-eng_Latn; do
  tgt=${d#*-}
  head -20 corpora/sample/devtest/$tgt.devtest >"$TMP/ref.txt"
  check "$d: 20 hypothesis lines" 20 "$(wc -l <"$TMP/out/hyp.$d.txt")"
  row=$(grep "^| $d |" "$TMP/out/report.md")
  [[ -n "$row" ]] && ok "$d: table row" || bad "$d: table row"
  bleu=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  chrf=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$4); print $4}')
  score() { "$MOEMT" score "$TMP/ref.txt" -i "$TMP/out/hyp.$d.txt" -b "$@"; }
  check "$d: BLEU re-scored" "$bleu" "$(score -m bleu -w 2)"
  check "$d: chrF++ re-scored" "$chrf" "$(score -m chrf --chrf-word-order 2 -w 2)"
  if ((have_py)); then
    check "$d: BLEU re-scored, 4 decimals" "$(jget $d bleu)" "$(score -m bleu -w 4)"
    check "$d: chrF++ re-scored, 4 decimals" "$(jget $d chrf++)" \
      "$(score -m chrf --chrf-word-order 2 -w 4)"
  fi
done

# 2b. The same lines through `moemt translate` give the same hypotheses (same beam, greedy).
if "$MOEMT" translate --help >/dev/null 2>&1; then
  head -20 corpora/sample/devtest/eng_Latn.devtest \
    | "$MOEMT" translate -m "$TMP/m" --from eng_Latn --to deu_Latn -b 1 --cpu-threads 1 --quiet \
    >"$TMP/translate.deu" 2>"$TMP/translate.err"
  if cmp -s "$TMP/translate.deu" "$TMP/out/hyp.eng_Latn-deu_Latn.txt"; then ok "eval hypotheses = moemt translate"
  else bad "eval hypotheses = moemt translate"; cat "$TMP/translate.err"; fi
fi
# 2c. sacrebleu itself, when installed, agrees with the report (score only; versions differ).
if command -v sacrebleu >/dev/null && ((have_py)); then
  head -20 corpora/sample/devtest/deu_Latn.devtest >"$TMP/ref.txt"
  d=eng_Latn-deu_Latn
  check "sacrebleu BLEU, 4 decimals" "$(jget $d bleu)" \
    "$(sacrebleu "$TMP/ref.txt" -i "$TMP/out/hyp.$d.txt" -m bleu -b -w 4 2>/dev/null)"
  check "sacrebleu chrF++, 4 decimals" "$(jget $d chrf++)" \
    "$(sacrebleu "$TMP/ref.txt" -i "$TMP/out/hyp.$d.txt" -m chrf --chrf-word-order 2 -b -w 4 2>/dev/null)"
fi

# 3. --compare against its own report: every delta is zero; -f json prints the same directions.
"$MOEMT" eval -m "$TMP/m" --set corpora/sample --max-sentences 20 -b 1 --cpu-threads 1 -q \
  --directions eng_Latn-deu_Latn,en-x --compare "$TMP/out/report.json" >"$TMP/cmp.md" 2>&1
check "compare exit status" 0 $?
grep -q '^| eng_Latn-deu_Latn | BLEU | .* | +0.00 |$' "$TMP/cmp.md" && ok "zero delta row" \
  || { bad "zero delta row"; cat "$TMP/cmp.md"; }
grep -q 'Only in the other report: deu_Latn-eng_Latn fra_Latn-eng_Latn' "$TMP/cmp.md" \
  && ok "directions missing from this run listed" || bad "directions missing from this run listed"
"$MOEMT" eval -m "$TMP/m" --set corpora/sample --max-sentences 5 -b 1 --cpu-threads 1 -q \
  --directions x-y -f json --compare "$TMP/out/report.json" >"$TMP/xy.json" 2>"$TMP/xy.err"
check "x-y json exit status" 0 $?
check "x-y directions in json" 2 "$(grep -c '"kind": "x-y"' "$TMP/xy.json")"
check "-q: nothing on stderr" "" "$(cat "$TMP/xy.err")"
if ((have_py)); then
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["compare"]["deltas"] == []
assert j["compare"]["only_this"] == ["deu_Latn-fra_Latn", "fra_Latn-deu_Latn"]' "$TMP/xy.json" \
    && ok "-f json with --compare is one valid JSON document" \
    || bad "-f json with --compare is one valid JSON document"
fi

# 3b. --expert-usage on a tiny MoE model (4 experts, top-2, every other layer of 2+2): a table
# per MoE layer with a row per language (encoder: source languages, decoder: targets), each
# row's shares summing to 100, and the HTML heatmap page.
"$MOEMT" train --train-sets $T/eng_Latn-deu_Latn.eng_Latn $T/eng_Latn-deu_Latn.deu_Latn \
  --vocab-size 500 --dim-emb 32 --transformer-heads 2 --transformer-dim-ffn 64 --enc-depth 2 \
  --dec-depth 2 --moe --moe-experts 4 --moe-top-k 2 --after 5u --cpu-threads 1 \
  --log-level warn --model "$TMP/moe" >"$TMP/train-moe.log" 2>&1 \
  || { cat "$TMP/train-moe.log"; bad "training the tiny MoE model"; }
"$MOEMT" eval -m "$TMP/moe" --set corpora/sample --max-sentences 5 -b 1 --cpu-threads 1 \
  --expert-usage -o "$TMP/moe-out" >/dev/null 2>"$TMP/moe-eval.err"
check "--expert-usage exit status" 0 $?
for f in experts.md experts.html experts.json; do
  [[ -s "$TMP/moe-out/$f" ]] && ok "wrote $f" || bad "wrote $f"
done
check "one table per MoE layer" 2 "$(grep -c '^### .*moe (by' "$TMP/moe-out/experts.md")"
grep -q '^### encoder.layers.1.moe (by source language)' "$TMP/moe-out/experts.md" \
  && ok "encoder layer by source language" || bad "encoder layer by source language"
for lang in eng_Latn deu_Latn; do
  check "$lang rows (one per layer)" 2 "$(grep -c "^| $lang | [1-9]" "$TMP/moe-out/experts.md")"
done
sums=$(grep '^| \(all\|eng_Latn\|deu_Latn\) |' "$TMP/moe-out/experts.md" \
  | awk -F'|' '{s=0; for (i=4; i<NF; ++i) s+=$i; printf "%.0f\n", s}' | sort -u)
check "every row's shares sum to 100" 100 "$sums"
grep -q 'rgba(31, 90, 180' "$TMP/moe-out/experts.html" && ok "heatmap cells" || bad "heatmap cells"
grep -q 'expert usage of the final translations' "$TMP/moe-eval.err" \
  && ok "summary logged" || bad "summary logged"

# 4. User errors: one line, exit 1, naming the problem.
err() {  # name, expected substring, args...
  local name=$1 want=$2; shift 2
  out=$("$MOEMT" eval "$@" 2>&1); rc=$?
  if [[ $rc == 1 && "$out" == *"$want"* && $(echo "$out" | wc -l) == 1 ]]; then ok "$name"
  else bad "$name"; echo "  rc=$rc output: $out"; fi
}
err "unknown direction spec" "unknown entry 'en-q'" -m "$TMP/m" --set corpora/sample --directions en-x,en-q
err "language missing from the model" "rus_Cyrl (model)" -m "$TMP/m" --set corpora/sample --directions deu_Latn-rus_Cyrl
err "not a model directory" "corpora/sample" -m corpora/sample --set corpora/sample
err "missing split" "corpora/sample" -m "$TMP/m" --set corpora/sample --split test
err "bad --compare file" "nope.json" -m "$TMP/m" --set corpora/sample --compare "$TMP/nope.json"
err "bad format" "--format" -m "$TMP/m" --set corpora/sample -f csv
err "--expert-usage on a dense model" "needs a model with MoE layers" -m "$TMP/m" \
  --set corpora/sample --max-sentences 2 --expert-usage -o "$TMP/dense-experts"
err "--expert-usage without -o" "give an output directory" -m "$TMP/m" --set corpora/sample \
  --expert-usage
mkdir -p "$TMP/empty/devtest" "$TMP/rus/devtest"
: >"$TMP/empty/devtest/eng_Latn.devtest"
: >"$TMP/empty/devtest/deu_Latn.devtest"
err "empty set" "the devtest set is empty" -m "$TMP/m" --set "$TMP/empty"
cp corpora/sample/devtest/rus_Cyrl.devtest "$TMP/rus/devtest/"
err "no shared language" "model: deu_Latn eng_Latn fra_Latn; set: rus_Cyrl" -m "$TMP/m" --set "$TMP/rus"
exit $fail
