# JSON helpers for the benchmark shell scripts (no torch needed):
#   summarize.py moemt-train LOG WARMUP MOE BINARY ROUND [BENCH [KEY=VALUE...]]
#                                                         -> moemt's line from its --log records
#   summarize.py train-summary < lines                    -> median over all rounds, ratio
#   summarize.py train-gpu-summary IDS PEAK_TFLOPS MODEL_JSON < lines
#                                                         -> ratio, model FLOPs/token, MFU
#   summarize.py decode-ratios < lines                     -> ratios per beam size
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops  # noqa: E402


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def moemt_train(log, warmup, moe, binary, rnd, bench="train_cpu", *extra):
    recs = [json.loads(l) for l in open(log) if l.strip()]
    recs = [r for r in recs if r.get("type") == "train"][int(warmup):]
    if not recs:
        sys.exit(f"summarize.py: no training records after {warmup} warm-up ones in {log}")
    rates = [(r["src_tokens"] + r["tgt_tokens"]) / r["seconds"] for r in recs]
    toks = [r["src_tokens"] + r["tgt_tokens"] for r in recs]
    print(json.dumps({
        "bench": bench, "system": "moemt", "moe": moe == "true", "round": int(rnd),
        **{k: _value(v) for k, v in (kv.split("=", 1) for kv in extra)},
        "tokens_per_s": round(statistics.median(rates), 1),
        "step_tokens_per_s": [round(r, 1) for r in rates],
        "step_s_median": round(statistics.median(r["seconds"] for r in recs), 4),
        "tokens_per_batch_mean": round(sum(toks) / len(toks), 1), "steps": len(recs),
        "warmup": int(warmup), "loss_last": round(recs[-1]["loss"], 3), "binary": binary}))


def train_summary(lines):
    runs = [json.loads(l) for l in lines if l.strip()]
    out = {"bench": "train_cpu", "measure": "summary", "moe": runs[0]["moe"],
           "rounds": max(r["round"] for r in runs)}
    for name in ("moemt", "torch"):
        rates = [x for r in runs if r["system"] == name for x in r["step_tokens_per_s"]]
        if rates:
            out[name + "_tokens_per_s"] = round(statistics.median(rates), 1)
            out[name + "_updates"] = len(rates)
    if "moemt_tokens_per_s" in out and "torch_tokens_per_s" in out:
        out["moemt_over_torch"] = round(out["moemt_tokens_per_s"] / out["torch_tokens_per_s"], 3)
    out["torch_gemm_gflops"] = [r["reference"]["gemm_gflops_1024"] for r in runs
                                if r["system"] == "torch"]
    print(json.dumps(out))


def train_gpu_summary(ids, peak_tflops, model_json, lines):
    """One summary line from the systems' lines: tokens/s of each, moemt over torch, the model
    FLOPs per token of the corpus (flops.py) and each system's MFU against peak_tflops
    (0 = no stated peak: MFU null)."""
    runs = {r["system"]: r for r in (json.loads(l) for l in lines if l.strip())}
    cfg = json.loads(model_json)
    per_token = flops.train_flops_per_token(flops.pairs_of_ids(ids), cfg)
    peak = float(peak_tflops) * 1e12
    out = {"bench": "train_gpu", "measure": "summary", "model": cfg,
           "model_flops_per_token": round(per_token), "peak_tflops": float(peak_tflops) or None}
    for name, run in runs.items():
        tps = run["tokens_per_s"]
        out[name + "_tokens_per_s"] = tps
        out[name + "_precision"] = run.get("precision")
        out[name + "_updates"] = run.get("steps")
        out[name + "_model_tflops"] = round(tps * per_token / 1e12, 3)
        out[name + "_mfu"] = round(tps * per_token / peak, 4) if peak else None
    if "moemt" in runs and "torch" in runs:
        out["moemt_over_torch"] = round(runs["moemt"]["tokens_per_s"] /
                                        runs["torch"]["tokens_per_s"], 3)
    print(json.dumps(out))


def decode_ratios(lines):
    rate = {}
    for l in lines:
        if l.strip():
            r = json.loads(l)
            rate[(r["system"], r["beam"])] = r["tokens_per_s"]
    for beam in sorted({b for _, b in rate}):
        for a, b in (("moemt", "torch"), ("moemt", "ctranslate2"), ("torch", "ctranslate2")):
            if (a, beam) in rate and (b, beam) in rate:
                print(json.dumps({"bench": "decode_cpu", "measure": "ratio", "beam": beam,
                                  f"{a}_over_{b}": round(rate[(a, beam)] / rate[(b, beam)], 3),
                                  f"{a}_tokens_per_s": rate[(a, beam)],
                                  f"{b}_tokens_per_s": rate[(b, beam)]}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "moemt-train":
        moemt_train(*sys.argv[2:])
    elif cmd == "train-summary":
        train_summary(sys.stdin.readlines())
    elif cmd == "train-gpu-summary":
        train_gpu_summary(*sys.argv[2:5], sys.stdin.readlines())
    elif cmd == "decode-ratios":
        decode_ratios(sys.stdin.readlines())
    else:
        sys.exit(f"unknown command {cmd}")
