#!/usr/bin/env bash
# `moemt corpus stats` on the committed sample corpus and on a FLORES-style directory.
set -euo pipefail
MOEMT=${1:?usage: corpus_stats.sh /path/to/moemt}
out=$("$MOEMT" corpus stats corpora/sample)
echo "$out" | grep -Eq '^deu_Latn +German +200 +50 +50$' || { echo "$out"; exit 1; }
echo "$out" | grep -Eq '^eng_Latn +English +- +50 +50$' || { echo "$out"; exit 1; }
err=$("$MOEMT" corpus stats tests/data/corpus/flores 2>&1 >/dev/null)
echo "$err" | grep -q 'xho_Latn.dev' || { echo "unknown code not reported: $err"; exit 1; }
out=$("$MOEMT" corpus stats tests/data/corpus/flores 2>/dev/null)
echo "$out" | grep -Eq '^rus_Cyrl +Russian +- +3 +2$' || { echo "$out"; exit 1; }
"$MOEMT" corpus stats --json corpora/sample | grep -q '"train": 200'
if "$MOEMT" corpus stats tests/data 2> /tmp/moemt_corpus_stats_err.$$; then echo "non-corpus accepted"; exit 1; fi
grep -q 'not a corpus or FLORES directory' /tmp/moemt_corpus_stats_err.$$ || { cat /tmp/moemt_corpus_stats_err.$$; exit 1; }
rm -f /tmp/moemt_corpus_stats_err.$$
"$MOEMT" corpus languages | grep -Eq '^ja +jpn +jpn_Jpan'
echo "corpus_stats: ok"
