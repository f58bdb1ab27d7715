# JSON helpers for the benchmark shell scripts (no torch needed):
#   summarize.py moemt-train LOG WARMUP MOE BINARY ROUND  -> moemt's line from its --log records
#   summarize.py train-summary < lines                    -> median over all rounds, ratio
#   summarize.py decode-ratios < lines                     -> ratios per beam size
import json
import statistics
import sys


def moemt_train(log, warmup, moe, binary, rnd):
    recs = [json.loads(l) for l in open(log) if l.strip()]
    recs = [r for r in recs if r.get("type") == "train"][int(warmup):]
    rates = [(r["src_tokens"] + r["tgt_tokens"]) / r["seconds"] for r in recs]
    toks = [r["src_tokens"] + r["tgt_tokens"] for r in recs]
    print(json.dumps({
        "bench": "train_cpu", "system": "moemt", "moe": moe == "true", "round": int(rnd),
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
        moemt_train(*sys.argv[2:7])
    elif cmd == "train-summary":
        train_summary(sys.stdin.readlines())
    elif cmd == "decode-ratios":
        decode_ratios(sys.stdin.readlines())
    else:
        sys.exit(f"unknown command {cmd}")
