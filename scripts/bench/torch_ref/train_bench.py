# PyTorch reference training speed: the moemt architecture (dense or MoE) trained with
# label-smoothed CE, Adam and gradient clipping on token-budget batches of a parallel corpus;
# prints one JSON line with the median tokens/s (non-pad source + target tokens per second).
#
#   train_bench.py --src FILE --tgt FILE --tgt-lang deu_Latn [--spm MODEL] [--moe] ...
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
    ap.add_argument("--src", required=True)
    ap.add_argument("--tgt", required=True)
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
    args = ap.parse_args()

    common.setup_threads(args.threads)
    settings = common.reference_settings(args.threads)
    spm_path = args.spm or data.train_spm([args.src, args.tgt], args.src + ".spm8k",
                                          args.vocab_size, [args.src_lang, args.tgt_lang])
    import sentencepiece as spm
    vocab = spm.SentencePieceProcessor(model_file=spm_path).get_piece_size()
    samples = data.load_samples(spm_path, args.src, args.tgt, args.tgt_lang)
    batches = data.make_batches(samples, args.mini_batch_words)
    need = args.warmup + args.steps
    assert len(batches) >= need, f"corpus gives {len(batches)} batches, need {need}"

    model = Seq2Seq(vocab=vocab, moe_experts=args.moe_experts if args.moe else 0,
                    moe_top_k=args.moe_top_k, moe_every=args.moe_every)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, betas=(0.9, 0.98), eps=1e-9)
    params = sum(p.numel() for p in model.parameters())

    rates, times, tokens, losses = [], [], [], []
    for i in range(need):
        t0 = time.perf_counter()  # batch -> tensors counts too, as in moemt's timing
        src, tin, tout, ns, nt = data.to_tensors(samples, batches[i])
        opt.zero_grad(set_to_none=True)
        loss = model.forward_loss(src, tin, tout, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if i >= args.warmup:
            rates.append((ns + nt) / dt)
            times.append(dt)
            tokens.append(ns + nt)
            losses.append(loss.item())
    common.emit({
        "bench": "train_cpu", "system": "torch", "moe": args.moe, "round": args.round,
        "tokens_per_s": round(common.median(rates), 1),
        "step_tokens_per_s": [round(r, 1) for r in rates],
        "step_s_median": round(common.median(times), 4),
        "tokens_per_batch_mean": round(sum(tokens) / len(tokens), 1),
        "steps": args.steps, "warmup": args.warmup, "loss_last": round(losses[-1], 3),
        "params": params, "vocab": vocab, "spm": spm_path,
        "moe_config": {"experts": args.moe_experts, "top_k": args.moe_top_k,
                       "every": args.moe_every, "capacity_factor_train": 1.25}
        if args.moe else None,
        "reference": settings,
    })


if __name__ == "__main__":
    main()
