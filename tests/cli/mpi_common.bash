# (Not a test itself: tests/CMakeLists.txt registers tests/cli/*.sh only.)
# Sourced by the CLI tests that start moemt under mpirun, after `MOEMT=$1`: skips (77) without
# MPI in moemt or without mpirun, and sets T (a temporary folder removed on exit), S (the
# committed sample), fail, MPIRUN (mpirun as root and with more ranks than cores; add -np) and
# DATA (the sample's English-German training pair); exact_moe_yml writes the tiny config the
# rank-count comparisons train.
"$MOEMT" version | grep -q "mpi: yes" || { echo "moemt built without MPI: skipped"; exit 77; }
command -v mpirun > /dev/null || { echo "no mpirun: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=corpora/sample/train
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
MPIRUN=(mpirun --oversubscribe --allow-run-as-root)
DATA=(--train-sets $S/eng_Latn-deu_Latn.eng_Latn $S/eng_Latn-deu_Latn.deu_Latn)

# exact_moe_yml FILE EXPERTS: a tiny MoE Transformer, dropless, noiseless, without dropout or
# balancing losses, so every rank count computes the one-process update up to float summation
# order.
exact_moe_yml() {
  cat > "$1" <<YML
vocab-size: 400
dim-emb: 32
transformer-heads: 2
transformer-dim-ffn: 64
enc-depth: 1
dec-depth: 1
transformer-dropout: 0
moe: true
moe-experts: $2
moe-every: 1
moe-capacity-factor: 0
moe-switch-loss: 0
moe-z-loss: 0
mini-batch-words: 600
learn-rate: 0.003
lr-warmup: 10
disp-freq: 3u
seed: 5
YML
}
