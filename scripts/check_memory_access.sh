#!/usr/bin/env bash
# Lists every place in the layers above ops (src/{nn,moe,model,train,decode}) that reads or
# writes tensor memory on the host, and fails on any that scripts/memory_access_allow.txt does
# not explain, or on an allow-list entry that no longer matches anything (delete it).
#
#   scripts/check_memory_access.sh [REPO_ROOT]
#
# Only ops (src/ops/*_cpu.cc, kernels/) and core touch tensor memory; the layers call ops, and
# the few host reads the design permits are named there with a reason. What counts as a touch:
# .data<T>(), .raw(), to_vector(), to_ivector(), from_vector and read_scalar<T>() (comments
# are ignored). Allow-list lines are `path | code fragment | reason` (no `|` inside); a hit is
# allowed when an entry for its file has a fragment that occurs in the hit's line.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
ALLOW=scripts/memory_access_allow.txt
DIRS=(src/nn src/moe src/model src/train src/decode)
PATTERN='\.data<|->data<|\.raw\(\)|->raw\(\)|to_vector\(|to_ivector\(|from_vector|read_scalar<'
[[ -f $ALLOW ]] || { echo "check_memory_access: $ALLOW missing" >&2; exit 2; }

# path:line:text of every hit, with // comments stripped first.
hits() {
  find "${DIRS[@]}" -type f \( -name '*.cc' -o -name '*.h' \) | LC_ALL=C sort |
    while read -r f; do
      # The pattern through the environment: -v would process its backslashes (gawk turns
      # \( into an unmatched paren; mawk keeps it).
      PAT=$PATTERN awk -v f="$f" '{
        code = $0; sub(/\/\/.*/, "", code)
        if (code ~ ENVIRON["PAT"]) { gsub(/^[ \t]+/, "", code); printf "%s:%d:%s\n", f, FNR, code }
      }' "$f"
    done
}

hits | awk -v allow="$ALLOW" '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  BEGIN {
    n = 0
    while ((getline line < allow) > 0) {
      ++ln
      if (line ~ /^[ \t]*(#|$)/) continue
      k = split(line, p, "|")
      if (k != 3 || trim(p[1]) == "" || trim(p[2]) == "" || trim(p[3]) == "") {
        printf "%s:%d: malformed entry (want `path | code fragment | reason`): %s\n", allow, ln, line
        bad = 1
        continue
      }
      ++n; path[n] = trim(p[1]); frag[n] = trim(p[2]); why[n] = trim(p[3]); at[n] = ln
    }
  }
  {
    f = $0; sub(/:.*/, "", f)
    text = $0; sub(/^[^:]*:[0-9]+:/, "", text)
    lineno = substr($0, length(f) + 2); sub(/:.*/, "", lineno)
    ok = 0
    for (i = 1; i <= n; ++i)
      if (path[i] == f && index(text, frag[i]) > 0) { ok = i; used[i] = 1; break }
    if (ok) printf "allowed  %s:%s  %s\n           -> %s\n", f, lineno, text, why[ok]
    else { printf "NOT ALLOWED  %s:%s  %s\n", f, lineno, text; bad = 1 }
    ++total
  }
  END {
    for (i = 1; i <= n; ++i)
      if (!used[i]) {
        printf "STALE ENTRY  %s:%d  %s | %s  (matches nothing any more: delete it)\n", allow, at[i], path[i], frag[i]
        bad = 1
      }
    printf "%d host accesses to tensor memory above ops, %d allow-list entries\n", total, n
    if (bad) {
      print "check_memory_access: FAILED. Move the access into an op (src/ops), or, for an explicit and rare host read, add an entry with its reason to " allow
      exit 1
    }
  }'
