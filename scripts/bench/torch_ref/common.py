# Shared helpers of the PyTorch reference benchmarks: thread setup, which BLAS torch really
# loaded, a GEMM GFLOP/s probe, medians, JSON lines and fixed-seed synthetic batches.
import json
import os
import statistics
import sys
import time

import torch


def decode_args():
    """The command line shared by the decoding benchmarks (decode_bench.py, ct2_bench.py)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--spm", required=True)
    ap.add_argument("--tgt-lang", default="deu_Latn")
    ap.add_argument("--sentences", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--beams", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args()


def setup_threads(threads):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)


def blas_library():
    """The BLAS shared object mapped into this process (Debian's torch calls libblas.so.3,
    which the alternatives system points at the reference BLAS or an OpenBLAS flavour)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in path or "mkl" in path:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def gemm_gflops(threads, n=1024, reps=10):
    """Median GFLOP/s of an (n x n) @ (n x n) float32 product on the configured threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
    return 2.0 * n ** 3 / statistics.median(times) / 1e9


def reference_settings(threads):
    return {
        "torch": torch.__version__,
        "python": sys.executable,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": blas_library(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "gemm_gflops_1024": round(gemm_gflops(threads), 1),
    }


def cuda_settings(dev):
    props = torch.cuda.get_device_properties(dev)
    return {
        "torch": torch.__version__,
        "python": sys.executable,
        "cuda": torch.version.cuda,
        "gpu": props.name,
        "gpu_memory_gib": round(props.total_memory / 2 ** 30, 1),
    }


def emit(obj):
    print(json.dumps(obj), flush=True)


def median(xs):
    return statistics.median(xs)
