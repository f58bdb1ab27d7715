#!/usr/bin/env bash
# CLI test of `moemt score`: output format and numbers against sacrebleu 2.6.0 (expected lines
# below were printed by `sacrebleu ... -f text` on the committed vectors; only the version
# field differs), stdin input, -b, JSON, sentence level, paired bootstrap, language defaults
# and the user errors (line counts, invalid UTF-8, empty file).
set -uo pipefail
MOEMT=${1:?usage: score.sh /path/to/moemt}
D=tests/data/score
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
check() {  # name, expected, actual
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fail=1
  else
    echo "ok   $1"
  fi
}
novers() { sed 's/|version:[^ ]*//'; }

# 1. Text output of three metrics, aligned on '=' (sacrebleu -w 1).
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt -m bleu chrf ter -w 1 | novers)
want='        BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp = 55.1 88.8/73.6/59.0/47.8 (BP = 0.840 ratio = 0.852 hyp_len = 3358 ref_len = 3942)
      chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no = 73.6
TER|nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no = 27.8'
check "three metrics, text" "$want" "$got"

# 2. Two references, chrF++ (two decimals, our default width).
got=$("$MOEMT" score $D/deu.ref.txt $D/deu.ref2.txt -i $D/deu.hyp.txt -m bleu chrf --chrf-word-order 2 | novers)
want='    BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp = 57.65 89.1/73.9/59.4/48.1 (BP = 0.875 ratio = 0.883 hyp_len = 3358 ref_len = 3805)
chrF2++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no = 73.16'
check "two references, chrF++" "$want" "$got"

# 3. -l en-zh picks the zh tokenizer; stdin input; -b.
got=$("$MOEMT" score $D/zho.ref.txt -l en-zh -m bleu < $D/zho.hyp.txt | novers)
check "en-zh tokenizer, stdin" 'BLEU|nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp = 49.36 86.7/68.1/51.9/40.3 (BP = 0.833 ratio = 0.845 hyp_len = 5535 ref_len = 6547)' "$got"
got=$("$MOEMT" score $D/zho.ref.txt -l en-ja -m bleu < $D/zho.hyp.txt 2>/dev/null | grep -o 'tok:[a-z0-9-]*')
check "en-ja falls back to char" "tok:char" "$got"
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt -b)
check "-b prints the score only" "55.07" "$got"

# 4. JSON.
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt -f json | grep -E '"(name|score|tok)"' | tr -d ' ')
check "json fields" '"name":"BLEU",
"score":55.07,
"tok":"13a",' "$got"

# 5. Sentence level: one line per segment (sacrebleu -sl -b -w 1: first 84.0, last 46.1).
"$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt -sl -b -w 1 > "$TMP/sl.txt"
check "sentence level lines" "150 84.0 46.1" "$(wc -l < "$TMP/sl.txt") $(sed -n 1p "$TMP/sl.txt") $(sed -n 150p "$TMP/sl.txt")"

# 6. Paired bootstrap: sacrebleu gives p = 0.0839 for BLEU on these two systems.
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt $D/deu.hyp2.txt -m bleu --paired-bs | grep -o 'p = [0-9.]*')
check "paired bootstrap p-value" "p = 0.0839" "$got"

# 6a. Approximate randomization: sacrebleu --paired-ar gives p = 0.1800 (BLEU), 0.3147 (TER).
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt $D/deu.hyp2.txt -m bleu ter --paired-ar | grep -o 'p = [0-9.]*' | tr '\n' ' ')
check "paired approximate randomization p-values" "p = 0.1800 p = 0.3147 " "$got"

# 6b. Confidence interval with short signatures (sacrebleu ... -sh -ci -cin 10 -f text).
got=$("$MOEMT" score $D/deu.ref.txt -i $D/deu.hyp.txt -m ter -sh -ci -cin 10 -w 1 | sed 's/|v:[^ ]*//')
check "short signature, -ci" 'TER|#:1|bs:10|rs:12345|c:lc|t:tercom|nr:no|pn:yes|as:no = 27.8 (μ = 27.9 ± 2.0)' "$got"

# 7. User errors: one clear line, exit status 1.
head -n 10 $D/deu.hyp.txt > "$TMP/short.txt"
err=$("$MOEMT" score $D/deu.ref.txt -i "$TMP/short.txt" 2>&1); rc=$?
check "line count mismatch exit" 1 "$rc"
[[ "$err" == *"10 lines"*"150"* && "$err" == *short.txt* && "$err" == *deu.ref.txt* ]] ||
  { echo "FAIL line count message: $err"; fail=1; }
printf 'good line\nbad \xff byte\n' > "$TMP/bad.txt"
err=$("$MOEMT" score "$TMP/bad.txt" -i "$TMP/bad.txt" 2>&1); rc=$?
check "invalid UTF-8 exit" 1 "$rc"
[[ "$err" == *"bad.txt:2:"*"UTF-8"* ]] || { echo "FAIL invalid UTF-8 message: $err"; fail=1; }
: > "$TMP/empty.txt"
err=$("$MOEMT" score $D/deu.ref.txt -i "$TMP/empty.txt" 2>&1); rc=$?
check "empty file exit" 1 "$rc"
[[ "$err" == *"empty.txt"*"empty"* ]] || { echo "FAIL empty file message: $err"; fail=1; }
exit $fail
