# PyTorch reference decoding speed: greedy and beam search with a KV cache (self-attention
# buffers preallocated, cross-attention K/V computed once) on the moemt architecture with random
# weights. Every hypothesis is forced to exactly --length target tokens (eos is forbidden before
# that), so all systems do the same work; tokens/s counts output tokens of the returned
# translations (sentences x length, not beams x length). One JSON line per beam size.
#
#   decode_bench.py --input FILE --spm MODEL [--beams 1 4] [--length 64] [--batch-size 16]
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from model import BOS, EOS, PAD, Seq2Seq  # noqa: E402

# Never generated: eos (every output has exactly --length tokens), pad and bos (as moemt's
# beam search blocks them; a random tied-embedding model would otherwise repeat bos).
BLOCKED = [PAD, BOS, EOS]


def encode_input(spm_path, path, n, tgt_lang):
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=spm_path)
    tag = sp.piece_to_id(f"<2{tgt_lang}>")
    with open(path) as f:
        lines = [l.rstrip("\n") for _, l in zip(range(n), f)]
    ids = sp.encode(lines)
    return [([tag] if tag != sp.unk_id() else []) + s + [EOS] for s in ids], sp.get_piece_size()


def pad(rows):
    out = torch.full((len(rows), max(len(r) for r in rows)), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.tensor(r)
    return out


def decode(model, src, beam, length):
    """Returns (B, length) token ids; beam == 1 is greedy."""
    b = src.shape[0]
    if beam > 1:
        src = src.repeat_interleave(beam, 0)
    state = model.start(src, length)
    tokens = torch.full((src.shape[0],), BOS, dtype=torch.long)
    scores = torch.zeros(b, beam)
    scores[:, 1:] = float("-inf")  # all beams start as the same hypothesis
    history = []
    for t in range(length):
        logp = model.step(state, tokens)
        logp[:, BLOCKED] = float("-inf")  # fixed output length; no pad/bos in the output
        if beam == 1:
            tokens = logp.argmax(-1)
            history.append(tokens)
            continue
        v = logp.shape[1]
        cand = (scores.view(b, beam, 1) + logp.view(b, beam, v)).view(b, beam * v)
        scores, flat = cand.topk(beam, dim=-1)
        origin = torch.div(flat, v, rounding_mode="floor")
        tokens = (flat % v).view(-1)
        rows = (origin + torch.arange(b)[:, None] * beam).view(-1)
        model.reorder(state, rows)
        history = [h.index_select(0, rows) for h in history]
        history.append(tokens)
    out = torch.stack(history, 1)
    if beam > 1:
        best = scores.argmax(-1) + torch.arange(b) * beam
        out = out.index_select(0, best)
    return out


def main():
    args = common.decode_args()

    common.setup_threads(args.threads)
    settings = common.reference_settings(args.threads)
    rows, vocab = encode_input(args.spm, args.input, args.sentences, args.tgt_lang)
    torch.manual_seed(1)
    model = Seq2Seq(vocab=vocab)
    model.eval()
    # Sorted by length before batching, as moemt (maxi-batch) and CTranslate2 (max_batch_size)
    # do, so that no system pays for more padding than another.
    rows = sorted(rows, key=len)
    batches = [pad(rows[i:i + args.batch_size]) for i in range(0, len(rows), args.batch_size)]
    with torch.inference_mode():
        decode(model, batches[0][:2], 2, 4)  # warm-up (allocator, thread pool)
        for beam in args.beams:
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                n = 0
                for src in batches:
                    n += decode(model, src, beam, args.length).numel()
                times.append(time.perf_counter() - t0)
            assert n == len(rows) * args.length
            common.emit({
                "bench": "decode_cpu", "system": "torch", "beam": beam,
                "tokens_per_s": round(n / common.median(times), 1),
                "seconds_median": round(common.median(times), 3), "repeats": args.repeats,
                "sentences": len(rows), "batch_size": args.batch_size,
                "output_length": args.length,
                "src_tokens_mean": round(sum(map(len, rows)) / len(rows), 1),
                "reference": settings,
            })


if __name__ == "__main__":
    main()
