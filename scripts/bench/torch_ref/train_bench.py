# PyTorch reference training speed: the moemt architecture (dense or MoE) trained with
# label-smoothed CE, Adam and gradient clipping on token-budget batches of a parallel corpus;
# prints one JSON line with the median tokens/s (non-pad source + target tokens per second).
#
#   train_bench.py --src FILE --tgt FILE --tgt-lang deu_Latn [--spm MODEL] [--moe] ...
#   train_bench.py --ids train.ids --vocab-size V --device cuda:0 --precision bfloat16 ...
#
# --ids: pairs already in ids (corpus.py --ids), for a machine without sentencepiece's Python
# module. --device cuda:N: eager PyTorch as its users run it on a GPU: bf16 autocast
# (--precision bfloat16; fp32 master weights), fused scaled_dot_product_attention (PyTorch 2),
# the fused Adam; each update ends with a device synchronisation before its time is taken.
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import data  # noqa: E402
from model import Seq2Seq  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src")
    ap.add_argument("--tgt")
    ap.add_argument("--ids", default="", help="pairs as ids (corpus.py --ids) instead of text")
    ap.add_argument("--tgt-lang", default="deu_Latn")
    ap.add_argument("--src-lang", default="eng_Latn")
    ap.add_argument("--spm", default="", help="sentencepiece model (moemt's vocab.spm)")
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--mini-batch-words", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--round", type=int, default=1, help="label for the JSON line")
    ap.add_argument("--moe", action="store_true")
    ap.add_argument("--moe-experts", type=int, default=8)
    ap.add_argument("--moe-top-k", type=int, default=2)
    ap.add_argument("--moe-every", type=int, default=2)
    ap.add_argument("--dim-emb", type=int, default=256)
    ap.add_argument("--transformer-heads", type=int, default=4)
    ap.add_argument("--transformer-dim-ffn", type=int, default=1024)
    ap.add_argument("--enc-depth", type=int, default=3)
    ap.add_argument("--dec-depth", type=int, default=3)
    ap.add_argument("--device", default="cpu", help="cpu or cuda:N")
    ap.add_argument("--precision", choices=["float32", "bfloat16"], default="float32")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop measuring after this many seconds of updates (0 = no limit)")
    ap.add_argument("--bench", default="train_cpu", help="the JSON lines' bench name")
    args = ap.parse_args()
    if not args.ids and not (args.src and args.tgt):
        ap.error("give --src and --tgt, or --ids")

    common.setup_threads(args.threads)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    settings = common.cuda_settings(dev) if cuda else common.reference_settings(args.threads)
    if args.ids:
        samples = data.read_ids(args.ids)
        vocab = max(args.vocab_size, 1 + max(max(s + t) for s, t in samples))
        spm_path = None
    else:
        spm_path = args.spm or data.train_spm([args.src, args.tgt], args.src + ".spm8k",
                                              args.vocab_size, [args.src_lang, args.tgt_lang])
        import sentencepiece as spm
        vocab = spm.SentencePieceProcessor(model_file=spm_path).get_piece_size()
        samples = data.load_samples(spm_path, args.src, args.tgt, args.tgt_lang)
    batches = data.make_batches(samples, args.mini_batch_words)
    need = args.warmup + args.steps

    sdpa = cuda and hasattr(torch.nn.functional, "scaled_dot_product_attention")
    model = Seq2Seq(vocab=vocab, d=args.dim_emb, heads=args.transformer_heads,
                    dff=args.transformer_dim_ffn, enc_layers=args.enc_depth,
                    dec_layers=args.dec_depth, moe_experts=args.moe_experts if args.moe else 0,
                    moe_top_k=args.moe_top_k, moe_every=args.moe_every, sdpa=sdpa).to(dev)
    model.train()
    adam = dict(lr=3e-4, betas=(0.9, 0.98), eps=1e-9)
    opt = torch.optim.Adam(model.parameters(), **adam, **({"fused": True} if cuda else {}))
    params = sum(p.numel() for p in model.parameters())
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16,
                              enabled=args.precision == "bfloat16")

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    rates, times, tokens, losses = [], [], [], []
    measured_s = 0.0
    for i in range(need):
        sync()
        t0 = time.perf_counter()  # batch -> tensors counts too, as in moemt's timing
        # The corpus is reused from its start when the measure wants more batches (epochs).
        src, tin, tout, ns, nt = data.to_tensors(samples, batches[i % len(batches)])
        src, tin, tout = (x.to(dev, non_blocking=True) for x in (src, tin, tout))
        opt.zero_grad(set_to_none=True)
        with autocast:
            loss = model.forward_loss(src, tin, tout, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sync()
        dt = time.perf_counter() - t0
        if i >= args.warmup:
            rates.append((ns + nt) / dt)
            times.append(dt)
            tokens.append(ns + nt)
            losses.append(loss.item())
            measured_s += dt
            if args.max_seconds and measured_s >= args.max_seconds:
                break
    common.emit({
        "bench": args.bench, "system": "torch", "moe": args.moe, "round": args.round,
        "device": args.device, "precision": args.precision, "attention": "sdpa" if sdpa else
        "matmul_softmax",
        "tokens_per_s": round(common.median(rates), 1),
        "step_tokens_per_s": [round(r, 1) for r in rates],
        "step_s_median": round(common.median(times), 4),
        "tokens_per_batch_mean": round(sum(tokens) / len(tokens), 1),
        "steps": len(rates), "warmup": args.warmup, "loss_last": round(losses[-1], 3),
        "params": params, "vocab": vocab, "spm": spm_path, "ids": args.ids or None,
        "model": {"d": args.dim_emb, "heads": args.transformer_heads,
                  "dff": args.transformer_dim_ffn, "enc_layers": args.enc_depth,
                  "dec_layers": args.dec_depth, "mini_batch_words": args.mini_batch_words},
        "moe_config": {"experts": args.moe_experts, "top_k": args.moe_top_k,
                       "every": args.moe_every, "capacity_factor_train": 1.25}
        if args.moe else None,
        "reference": settings,
    })


if __name__ == "__main__":
    main()
