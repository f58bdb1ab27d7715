#!/usr/bin/env bash
# Layers above ops touch tensor memory only where scripts/memory_access_allow.txt says why
# (issue #10: a core ready for a second device). $1 (the moemt binary) is not needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/check_memory_access.sh .
