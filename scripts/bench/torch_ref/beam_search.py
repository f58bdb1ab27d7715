# Beam search for the PyTorch reference with moemt's rules (src/decode/beam_search.cc): per
# sentence the 2k best continuations of its live hypotheses; an end-of-sentence candidate
# finishes a hypothesis while fewer than k have finished; at the length limit
# min(max_length, ceil(factor * source length)) the hypotheses finish unterminated; a sentence
# is done when k have finished or none is alive; the output is the finished hypothesis with
# the best score / length^normalize (length counting the end-of-sentence). pad, bos and unk
# are never generated. Finished sentences leave the batch (their decoder-state rows dropped).
import math

import torch

from model import BOS, EOS, PAD, UNK


def reorder_rows(state, rows):
    """Keeps decoder-state rows `rows` (a LongTensor), in that order."""
    for cache in state["layers"]:
        for key in ("k", "v", "ck", "cv"):
            cache[key] = cache[key].index_select(0, rows)
    state["cross_mask"] = state["cross_mask"].index_select(0, rows)


def beam_search(model, src_rows, beam=4, normalize=0.6, max_length=256, max_length_factor=3.0):
    """src_rows: encoder inputs (lists of ids); returns one list of output ids per row."""
    n = len(src_rows)
    src = torch.full((n, max(len(r) for r in src_rows)), PAD, dtype=torch.long)
    for i, r in enumerate(src_rows):
        src[i, :len(r)] = torch.tensor(r)
    max_len = [min(max_length, math.ceil(max_length_factor * len(r))) for r in src_rows]
    state = model.start(src, max(max_len) + 1)
    live = [[(0.0, [])] for _ in range(n)]  # (score, tokens) in state-row order
    finished = [[] for _ in range(n)]       # (score, tokens, normalised score)
    active = list(range(n))
    last = torch.full((n,), BOS, dtype=torch.long)

    def finish(i, score, tokens, with_eos):
        length = max(len(tokens) + (1 if with_eos else 0), 1)
        finished[i].append((score, tokens, score / length ** normalize))

    while active:
        logp = model.step(state, last)
        logp[:, [PAD, BOS, UNK]] = float("-inf")
        vocab = logp.shape[1]
        rows, next_last, still, row0 = [], [], [], 0
        for i in active:
            beams = live[i]
            nb = len(beams)
            at_limit = len(beams[0][1]) + 1 >= max_len[i]
            scores = torch.tensor([b[0] for b in beams])
            cand = (scores[:, None] + logp[row0:row0 + nb]).reshape(-1)
            top_s, top_i = cand.topk(min(2 * beam, cand.numel()))
            nxt = []
            for s, idx in zip(top_s.tolist(), top_i.tolist()):
                r, tok = divmod(idx, vocab)
                parent_score, parent_tokens = beams[r]
                if tok == EOS:
                    if len(finished[i]) < beam:
                        finish(i, s, parent_tokens, True)
                    continue
                if len(nxt) == beam:
                    continue
                tokens = parent_tokens + [tok]
                if at_limit:
                    finish(i, s, tokens, False)  # out of room: an unterminated hypothesis
                    continue
                nxt.append((s, tokens))
                rows.append(row0 + r)
                next_last.append(tok)
            if not nxt or len(finished[i]) >= beam:
                if nxt:  # undo this sentence's rows
                    del rows[-len(nxt):]
                    del next_last[-len(nxt):]
            else:
                live[i] = nxt
                still.append(i)
            row0 += nb
        active = still
        if not active:
            break
        reorder_rows(state, torch.tensor(rows, dtype=torch.long))
        last = torch.tensor(next_last, dtype=torch.long)
    out = []
    for f in finished:
        best = max(f, key=lambda h: h[2]) if f else (0.0, [], 0.0)
        out.append(best[1])
    return out
