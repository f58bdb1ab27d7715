# PyTorch reference trained to a wall-clock budget with moemt's schedule, then translating with
# beam 4: the torch side of scripts/bench/quality_budget.sh. Same model as moemt's (model.py),
# same data and vocabulary (moemt's sentencepiece model), same batching rule (data.py), Adam
# (0.9, 0.98, 1e-9) with global-norm clipping, label smoothing, and moemt's learning rate:
# linear warm-up to --learn-rate over --lr-warmup updates, then lr * sqrt(warmup / step).
# The clock starts after the data is loaded; an update starts only while time is left (moemt's
# --after 30m stops within one update of its limit the same way). Prints one JSON line.
#
#   budget_train.py --pair SRC TGT SRC_LANG TGT_LANG [--both-directions] --spm MODEL
#                   --budget-s 1800 [--moe] --translate IN OUT TGT_LANG [--translate ...]
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import data  # noqa: E402
from beam_search import beam_search  # noqa: E402
from model import EOS, MoE, Seq2Seq  # noqa: E402


def lr_at(step, base, warmup):
    """moemt's LrSchedule::lr_at with --lr-decay-inv-sqrt 0 (decay from the end of warm-up)."""
    step = max(step, 1)
    lr = base
    if warmup > 0 and step < warmup:
        lr *= step / warmup
    if warmup > 0 and step > warmup:
        lr *= (warmup / step) ** 0.5
    return lr


def train(args, model, samples):
    opt = torch.optim.Adam(model.parameters(), lr=args.learn_rate, betas=(0.9, 0.98), eps=1e-9)
    model.train()
    start = time.perf_counter()
    updates = tokens = epoch = 0
    loss = float("nan")
    while time.perf_counter() - start < args.budget_s:
        epoch += 1
        for idx in data.make_batches(samples, args.mini_batch_words, seed=args.seed + epoch):
            if time.perf_counter() - start >= args.budget_s:
                break
            src, tin, tout, ns, nt = data.to_tensors(samples, idx)
            updates += 1
            for g in opt.param_groups:
                g["lr"] = lr_at(updates, args.learn_rate, args.lr_warmup)
            opt.zero_grad(set_to_none=True)
            out = model.forward_loss(src, tin, tout, label_smoothing=args.label_smoothing)
            out.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            tokens += ns + nt
            loss = out.item()
    return updates, tokens, time.perf_counter() - start, epoch, loss


def translate(args, model, sp, path_in, path_out, tgt_lang):
    tag = sp.piece_to_id(f"<2{tgt_lang}>")
    with open(path_in) as f:
        lines = [l.rstrip("\n") for l in f]
    rows = [[tag] + ids[:args.max_input_length - 2] + [EOS] for ids in sp.encode(lines)]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))  # less padding
    out = [None] * len(rows)
    with torch.inference_mode():
        for b in range(0, len(order), args.decode_batch):
            part = order[b:b + args.decode_batch]
            hyps = beam_search(model, [rows[i] for i in part], beam=args.beam_size,
                               normalize=args.normalize, max_length=args.decode_max_length,
                               max_length_factor=args.max_length_factor)
            for i, h in zip(part, hyps):
                out[i] = sp.decode(h)
    with open(path_out + ".tmp", "w") as f:
        f.write("".join(line + "\n" for line in out))
    os.replace(path_out + ".tmp", path_out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pair", nargs=4, action="append", required=True,
                    metavar=("SRC", "TGT", "SRC_LANG", "TGT_LANG"))
    ap.add_argument("--both-directions", action="store_true")
    ap.add_argument("--spm", required=True)
    ap.add_argument("--budget-s", type=float, required=True)
    ap.add_argument("--moe", action="store_true", help="8 experts, top-2, every other layer")
    ap.add_argument("--learn-rate", type=float, default=3e-4)
    ap.add_argument("--lr-warmup", type=int, default=4000)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--mini-batch-words", type=int, default=4096)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--translate", nargs=3, action="append", default=[],
                    metavar=("IN", "OUT", "TGT_LANG"))
    ap.add_argument("--beam-size", type=int, default=4)
    ap.add_argument("--normalize", type=float, default=0.6)
    ap.add_argument("--max-length-factor", type=float, default=3.0)
    ap.add_argument("--decode-max-length", type=int, default=256)
    ap.add_argument("--max-input-length", type=int, default=256)
    ap.add_argument("--decode-batch", type=int, default=64)
    ap.add_argument("--label", default="", help="copied into the JSON line")
    args = ap.parse_args()

    common.setup_threads(args.threads)
    torch.manual_seed(args.seed)
    settings = common.reference_settings(args.threads)
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=args.spm)
    samples = []
    for src, tgt, src_lang, tgt_lang in args.pair:
        samples += data.load_samples(args.spm, src, tgt, tgt_lang, args.max_length)
        if args.both_directions:
            samples += data.load_samples(args.spm, tgt, src, src_lang, args.max_length)
    model = Seq2Seq(vocab=sp.get_piece_size(), moe_experts=8 if args.moe else 0, moe_top_k=2,
                    moe_every=2)
    updates, tokens, seconds, epochs, loss = train(args, model, samples)
    model.eval()
    for m in model.modules():
        if isinstance(m, MoE):
            m.cf_eval = 0.0  # dropless decoding, as moemt's
    t0 = time.perf_counter()
    for path_in, path_out, tgt_lang in args.translate:
        translate(args, model, sp, path_in, path_out, tgt_lang)
    common.emit({
        "bench": "quality_budget", "system": "torch", "label": args.label, "moe": args.moe,
        "budget_s": args.budget_s, "updates": updates, "train_seconds": round(seconds, 1),
        "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
        "epochs": epochs, "samples": len(samples), "loss_last": round(loss, 3),
        "params": sum(p.numel() for p in model.parameters()),
        "translate_seconds": round(time.perf_counter() - t0, 1), "reference": settings,
    })


if __name__ == "__main__":
    main()
