#!/usr/bin/env python3
"""Helpers of scripts/bench/hierarchical.sh and pareto.sh (standard library only).

  speed   run `moemt translate` once per repeat, print one JSON line: output tokens/s (moemt's
          own figure, model load excluded), wall seconds with load, start-up seconds and the
          process's peak RSS
  chrf    the "all" average chrF++/BLEU of a `moemt eval -f json` report as one JSON line
  flops   active parameters and forward FLOPs per token of a model directory's config.yml
  curve   validation chrF against cumulative training seconds from a `moemt train --log` file
  plot    Markdown table + SVG plot of the pareto rows (JSON lines) it is given
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time

RATE = re.compile(r"translated (\d+) sentences in ([0-9.]+)s \(([0-9.]+) sentences/s, ([0-9.]+) tokens/s\)")


def run_once(cmd, stdin_path):
    """Wall time, peak RSS (MiB) and stderr of one child process (its own rusage, by wait4)."""
    import tempfile
    with open(stdin_path, "rb") as f, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {text[-500:]}")
    return wall, usage.ru_maxrss / 1024.0, text


def speed(args):
    """speed MOEMT MODEL INPUT LABEL REPEATS -- extra translate args"""
    moemt, model, inp, label, repeats = args[:5]
    extra = args[6:] if len(args) > 5 and args[5] == "--" else args[5:]
    cmd = [moemt, "translate", "-m", model] + extra
    empty = inp + ".empty"
    open(empty, "w").close()
    start = []
    for _ in range(2):  # process start + model load, on an empty input
        w, _, _ = run_once(cmd, empty)
        start.append(w)
    rates, walls, rss = [], [], 0.0
    tokens = sentences = 0
    run_once(cmd, inp)  # warm-up (page cache)
    for _ in range(int(repeats)):
        w, r, err = run_once(cmd, inp)
        m = RATE.search(err)
        if not m:
            sys.exit(f"no rate line in the output of {' '.join(cmd)}: {err[-300:]}")
        sentences = int(m.group(1))
        rates.append(float(m.group(4)))
        tokens = round(float(m.group(4)) * float(m.group(2)))
        walls.append(w)
        rss = max(rss, r)
    out = {"label": label, "model": model, "args": " ".join(extra), "sentences": sentences,
           "output_tokens": tokens, "tokens_per_s": round(statistics.median(rates), 1),
           "wall_s": round(statistics.median(walls), 3), "startup_s": round(min(start), 3),
           "peak_rss_mib": round(rss, 1), "repeats": int(repeats)}
    print(json.dumps(out))


def chrf(args):
    """chrf REPORT.json LABEL"""
    r = json.load(open(args[0]))
    avg = {a["name"]: a for a in r.get("averages", [])}
    a = avg.get("all") or (r["averages"][0] if r.get("averages") else {})
    print(json.dumps({"label": args[1], "chrf++": a.get("chrf++"), "bleu": a.get("bleu"),
                      "directions": len(r.get("directions", [])), "sentences": r.get("sentences")}))


def load_config(path):
    try:
        import yaml  # Debian's python3-yaml
    except ImportError:
        sys.exit("python3-yaml is needed to read config.yml")
    return yaml.safe_load(open(path))


def flops(args):
    """flops MODEL_DIR LABEL: parameters, active parameters and forward FLOPs per token.

    Active = every parameter a token's forward pass multiplies with: all dense parameters, k of
    the routed experts of each MoE layer (plus shared experts), the output projection; the
    embedding lookups are excluded. FLOPs/token ~ 2 x active (attention over positions, which
    grows with length, is left out)."""
    c = load_config(os.path.join(args[0], "config.yml"))
    d, v, ff = c["dim-emb"], c["vocab-size"], c["transformer-dim-ffn"]
    moe = c.get("moe", False)
    ms = c.get("moe-settings", {})

    def is_moe(stack, layer):
        if not moe:
            return False
        lst = c.get("moe-enc-layers" if stack == "encoder" else "moe-dec-layers")
        if lst:
            return layer in lst
        every = ms[stack]["every"]
        return every > 0 and (layer + 1) % every == 0

    total = active = 0.0
    for stack, depth, att in (("encoder", c["enc-depth"], 1), ("decoder", c["dec-depth"], 2)):
        for layer in range(depth):
            base = att * 4 * (d * d + d) + (1 + att) * 2 * d  # attention(s) and layer norms
            if is_moe(stack, layer):
                m = ms[stack]
                e_ff = m["expert-dim-ffn"] or ff
                s_ff = m["shared-dim-ffn"] or e_ff
                expert = 2 * d * e_ff + e_ff + d
                shared = m["shared-experts"] * (2 * d * s_ff + s_ff + d)
                router = d * m["experts"] * (2 if m["noisy-gating"] else 1)
                if m["group-by"] == "learned":
                    router += 2 * d * m["groups"]
                kept = m["experts"]
                if m.get("kept-groups"):
                    kept = len(m["kept-groups"]) * m["experts"] // m["groups"]
                total += base + router + kept * expert + shared
                active += base + router + m["top-k"] * expert + shared
            else:
                dense = 2 * d * ff + ff + d
                total += base + dense
                active += base + dense
    emb = v * d * (1 if c.get("tied-embeddings-all", True) else 3)
    total += emb + 4 * d
    active += v * d + 4 * d  # the output projection
    print(json.dumps({"label": args[1], "params": int(total), "active_params": int(active),
                      "flops_per_token": int(2 * active)}))


def curve(args):
    """curve TRAIN_LOG.jsonl LABEL [START END]: validation chrF against seconds since START (the
    epoch time the train command started; its records carry their own "time"), the wall
    seconds of the command (END - START, vocabulary training and validations included) and the
    updates done. Without START, the summed seconds of the display records are used."""
    start = float(args[2]) if len(args) > 2 else None
    end = float(args[3]) if len(args) > 3 else None
    secs, pts, updates = 0.0, [], 0
    for line in open(args[0]):
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        updates = max(updates, r.get("update", 0))
        if r.get("type") == "train":
            secs += r.get("seconds", 0.0)
        elif r.get("type") == "valid" and "chrf" in r:
            at = r["time"] - start if start is not None and "time" in r else secs
            pts.append([round(at, 1), r["chrf"]])
    total = end - start if start is not None and end is not None else secs
    print(json.dumps({"label": args[1], "train_seconds": round(total, 1), "updates": updates,
                      "valid_chrf": pts}))


def svg_panel(x0, y0, w, h, series, xlabel, ylabel, logx):
    """One scatter/line panel; series = [(label, [(x, y)], colour)]."""
    xs = [p[0] for _, pts, _ in series for p in pts if p[0] > 0 or not logx]
    ys = [p[1] for _, pts, _ in series for p in pts]
    if not xs or not ys:
        return f'<text x="{x0 + 10}" y="{y0 + 20}">no data</text>'
    fx = (lambda x: math.log10(x)) if logx else (lambda x: x)
    lo, hi = fx(min(xs)), fx(max(xs))
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    ylo, yhi = min(0.0, min(ys)), max(ys) * 1.1 + 1e-9
    px = lambda x: x0 + 50 + (fx(x) - lo) / (hi - lo) * (w - 70)
    py = lambda y: y0 + h - 40 - (y - ylo) / (yhi - ylo) * (h - 60)
    out = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
           f'<line x1="{x0 + 50}" y1="{y0 + h - 40}" x2="{x0 + w - 20}" y2="{y0 + h - 40}" stroke="black"/>',
           f'<line x1="{x0 + 50}" y1="{y0 + 20}" x2="{x0 + 50}" y2="{y0 + h - 40}" stroke="black"/>',
           f'<text x="{x0 + w / 2}" y="{y0 + h - 8}" text-anchor="middle">{xlabel}</text>',
           f'<text x="{x0 + 14}" y="{y0 + h / 2}" transform="rotate(-90 {x0 + 14} {y0 + h / 2})" text-anchor="middle">{ylabel}</text>']
    for t in range(5):
        yv = ylo + (yhi - ylo) * t / 4
        out.append(f'<text x="{x0 + 46}" y="{py(yv) + 4}" text-anchor="end" font-size="10">{yv:.1f}</text>')
        xv = lo + (hi - lo) * t / 4
        xr = 10 ** xv if logx else xv
        out.append(f'<text x="{x0 + 50 + t / 4 * (w - 70)}" y="{y0 + h - 26}" text-anchor="middle" font-size="10">{xr:.3g}</text>')
    for i, (label, pts, colour) in enumerate(series):
        pts = [p for p in pts if p[0] > 0 or not logx]
        if len(pts) > 1:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}"/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{colour}"/>')
        out.append(f'<text x="{x0 + 60}" y="{y0 + 34 + 14 * i}" fill="{colour}" font-size="12">{label}</text>')
    return "\n".join(out)


COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def plot(args):
    """plot ROWS.jsonl OUT.md OUT.svg: rows have label, kind, params, active_params,
    flops_per_token, train_seconds, valid_chrf, chrf++."""
    rows = [json.loads(l) for l in open(args[0]) if l.strip()]
    md = ["| model | kind | parameters | active parameters | GFLOPs/token | train wall s | updates | devtest chrF++ | BLEU |",
          "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        md.append(f"| {r['label']} | {r['kind']} | {r['params'] / 1e6:.2f}M | {r['active_params'] / 1e6:.2f}M | "
                  f"{r['flops_per_token'] / 1e9:.4f} | {r['train_seconds']:.0f} | {r['updates']} | "
                  f"{r['chrf++']:.2f} | {r['bleu']:.2f} |")
    open(args[1], "w").write("\n".join(md) + "\n")
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    left = [(kind, sorted((r["flops_per_token"] / 1e9, r["chrf++"]) for r in rs), COLOURS[i % 8])
            for i, (kind, rs) in enumerate(sorted(by_kind.items()))]
    right = [(r["label"], [(s / 60.0, c) for s, c in r["valid_chrf"]], COLOURS[i % 8])
             for i, r in enumerate(rows)]
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="420" font-family="sans-serif" font-size="12">',
           '<text x="500" y="16" text-anchor="middle" font-size="14">devtest chrF++ vs active compute; validation chrF vs training time (same wall-clock budget)</text>',
           svg_panel(0, 24, 490, 390, left, "forward GFLOPs per token (log)", "devtest chrF++", True),
           svg_panel(505, 24, 490, 390, right, "training minutes", "validation chrF", False),
           "</svg>"]
    open(args[2], "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    cmds = {"speed": speed, "chrf": chrf, "flops": flops, "curve": curve, "plot": plot}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
