# Sourced by the benchmark scripts that run the PyTorch reference: installs the references'
# Debian packages (idempotent), puts the OpenMP OpenBLAS first for Debian's torch and sets the
# thread environment every system runs with. Needs REPO and THREADS; sets PY.
PY=/usr/bin/python3  # Debian's python3-torch lives here, not in pyenv/venv interpreters
"$REPO/scripts/setup.sh" --bench >&2  # the Debian packages of the references (idempotent)
OMP_BLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
[[ -d $OMP_BLAS ]] && export LD_LIBRARY_PATH=$OMP_BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
