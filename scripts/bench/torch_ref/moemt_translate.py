# Times `moemt translate` on the decoding benchmark input and prints one JSON line: output
# tokens (re-encoded with the benchmark's sentencepiece model) per second, median over
# --repeats runs after a warm-up run. The process start and model load (timed separately on
# an empty input) are subtracted, so the figure compares with the in-process PyTorch and
# CTranslate2 timings; the raw figure is printed beside it.
#
#   moemt_translate.py --moemt BIN --model DIR --input FILE --spm MODEL --beam 4 -- [flags]
import argparse
import json
import statistics
import subprocess
import time


def timed(cmd, stdin_path):
    with open(stdin_path) as f:
        t0 = time.perf_counter()
        out = subprocess.run(cmd, stdin=f, capture_output=True, text=True, check=True).stdout
        return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moemt", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--spm", required=True)
    ap.add_argument("--tgt-lang", default="deu_Latn")
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("extra", nargs="*", help="more moemt translate flags (after --)")
    args = ap.parse_args()

    import sentencepiece as spm
    # The token budget is set out of the way so that --mini-batch alone forms the batches, as
    # --batch-size does for the references.
    cmd = [args.moemt, "translate", "-m", args.model, "--to", args.tgt_lang, "-b",
           str(args.beam), "--mini-batch", str(args.batch_size), "--mini-batch-words",
           "1000000", "--cpu-threads", str(args.threads), "--quiet"] + args.extra
    startup = statistics.median(timed(cmd, "/dev/null")[0] for _ in range(3))
    times = []
    for _ in range(args.repeats + 1):  # first run = warm-up (page cache)
        t, out = timed(cmd, args.input)
        times.append(t)
    lines = out.splitlines()
    sp = spm.SentencePieceProcessor(model_file=args.spm)
    lengths = [len(ids) for ids in sp.encode(lines)]
    n = sum(lengths)
    t = statistics.median(times[1:])
    print(json.dumps({
        "bench": "decode_cpu", "system": "moemt", "beam": args.beam,
        "tokens_per_s": round(n / max(t - startup, 1e-9), 1),
        "tokens_per_s_with_startup": round(n / t, 1),
        "seconds_median": round(t, 3), "startup_s": round(startup, 3),
        "repeats": args.repeats, "sentences": len(lines), "batch_size": args.batch_size,
        "output_tokens": n, "outputs_at_length": sum(l == args.length for l in lengths),
        "min_length_forced": "--min-length" in args.extra,
        "command": " ".join(cmd[1:])}))


if __name__ == "__main__":
    main()
