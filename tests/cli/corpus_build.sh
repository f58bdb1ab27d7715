#!/usr/bin/env bash
# `moemt corpus build` on the committed test catalogs: layout, multi-way dev/devtest, skipped
# bad catalogs, identical output of two builds, and clear errors for bad requests.
set -euo pipefail
MOEMT=${1:?usage: corpus_build.sh /path/to/moemt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CATS=tests/data/corpus/catalogs

"$MOEMT" corpus build --langs de,fr,ru --catalog-dir "$CATS" --out "$TMP/a" --dev-size 2 \
  --devtest-size 2 > "$TMP/log" 2>&1 || { cat "$TMP/log"; exit 1; }
for f in stats.json README.md metadata_dev.tsv metadata_devtest.tsv dev/eng_Latn.dev dev/deu_Latn.dev dev/fra_Latn.dev dev/rus_Cyrl.dev \
         devtest/eng_Latn.devtest train/eng_Latn-deu_Latn.eng_Latn train/eng_Latn-deu_Latn.deu_Latn; do
  [ -f "$TMP/a/$f" ] || { echo "missing $f"; exit 1; }
done
for f in "$TMP"/a/dev/*.dev; do [ "$(wc -l < "$f")" -eq 2 ] || { echo "$f: not 2 lines"; exit 1; }; done
grep -q 'broken.mo: truncated .mo file' "$TMP/log" || { echo "truncated catalog not reported"; cat "$TMP/log"; exit 1; }
grep -q 'notmo.mo: not a .mo file' "$TMP/log" || { echo "bad magic not reported"; exit 1; }
# Accelerators stripped ("Ö_ffnen" -> "Öffnen"), dev English never in train.
grep -qx 'Öffnen' "$TMP/a/train/eng_Latn-deu_Latn.deu_Latn" || { echo "accelerator not stripped"; exit 1; }
while IFS= read -r line; do
  if grep -qxF "$line" "$TMP"/a/train/*.eng_Latn; then echo "dev sentence in train: $line"; exit 1; fi
done < <(cat "$TMP/a/dev/eng_Latn.dev" "$TMP/a/devtest/eng_Latn.devtest")

"$MOEMT" corpus build --langs de,fr,ru --catalog-dir "$CATS" --out "$TMP/b" --dev-size 2 \
  --devtest-size 2 > /dev/null 2>&1
diff -r "$TMP/a" "$TMP/b" > /dev/null || { echo "two builds differ"; diff -r "$TMP/a" "$TMP/b" | head; exit 1; }

# Bad requests: one clear line, non-zero exit.
if "$MOEMT" corpus build --langs de,xx --catalog-dir "$CATS" --out "$TMP/c" 2> "$TMP/err"; then
  echo "unknown language accepted"; exit 1
fi
grep -q "unknown language code 'xx'" "$TMP/err" || { cat "$TMP/err"; exit 1; }
if "$MOEMT" corpus build --langs de --catalog-dir "$TMP/none" --out "$TMP/d" 2> "$TMP/err"; then
  echo "missing catalog dir accepted"; exit 1
fi
grep -q "does not exist" "$TMP/err" || { cat "$TMP/err"; exit 1; }
# Every catalog unreadable: a clear line and a non-zero exit, not an empty corpus.
mkdir -p "$TMP/bad/de/LC_MESSAGES"
cp "$CATS/de/LC_MESSAGES/broken.mo" "$TMP/bad/de/LC_MESSAGES/"
if "$MOEMT" corpus build --langs de --catalog-dir "$TMP/bad" --out "$TMP/e" 2> "$TMP/err"; then
  echo "build with no readable catalog exited 0"; exit 1
fi
grep -q "all 1 catalog(s) for deu_Latn were skipped" "$TMP/err" || { cat "$TMP/err"; exit 1; }
[ ! -e "$TMP/e/stats.json" ] || { echo "empty corpus written"; exit 1; }
echo "corpus_build: ok"
