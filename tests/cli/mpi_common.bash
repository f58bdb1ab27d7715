# (Not a test itself: tests/CMakeLists.txt registers tests/cli/*.sh only.)
# Sourced by the CLI tests that start moemt under mpirun, after `MOEMT=$1`: skips (77) without
# MPI in moemt or without mpirun, and sets T (a temporary folder removed on exit), S (the
# committed sample), fail, MPIRUN (mpirun as root and with more ranks than cores; add -np) and
# DATA (the sample's English-German training pair).
"$MOEMT" version | grep -q "mpi: yes" || { echo "moemt built without MPI: skipped"; exit 77; }
command -v mpirun > /dev/null || { echo "no mpirun: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
MPIRUN=(mpirun --oversubscribe --allow-run-as-root)
DATA=(--train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn)
