# Checks that the reference's beam search (beam_search.py) follows moemt's rules on a small
# random model (dense and MoE): beam 1 equals a plain greedy loop with the same blocked tokens
# and length limit, and a sentence decoded alone equals the same sentence in a padded batch
# whose other sentences finish earlier or later (finished rows leave the batch; MoE dropless).
# Exits non-zero on a mismatch. Run by tests/cli/torch_ref_beam.sh when torch is installed.
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from beam_search import beam_search  # noqa: E402
from model import BOS, EOS, PAD, UNK, MoE, Seq2Seq  # noqa: E402


def greedy(model, src, factor):
    state = model.start(torch.tensor([src]), math.ceil(factor * len(src)) + 1)
    last, out = torch.tensor([BOS]), []
    for _ in range(math.ceil(factor * len(src))):
        lp = model.step(state, last)
        lp[:, [PAD, BOS, UNK]] = float("-inf")
        tok = int(lp.argmax(-1))
        if tok == EOS:
            break
        out.append(tok)
        last = torch.tensor([tok])
    return out


def main():
    torch.set_num_threads(1)
    src = [[5, 6, 7, EOS], [8, 9, EOS], [10, 11, 12, 13, 14, EOS], [15, EOS]]
    for experts in (0, 4):
        torch.manual_seed(3)
        model = Seq2Seq(vocab=40, d=32, heads=2, dff=48, enc_layers=2, dec_layers=2,
                        moe_experts=experts, moe_every=1)
        model.eval()
        for m in model.modules():
            if isinstance(m, MoE):
                m.cf_eval = 0.0
        with torch.inference_mode():
            got = beam_search(model, src, beam=1, max_length_factor=2.0)
            for s, g in zip(src, got):
                want = greedy(model, s, 2.0)
                assert g == want, f"experts {experts}: beam 1 {g} != greedy {want}"
            batch = beam_search(model, src, beam=4)
            for s, b in zip(src, batch):
                alone = beam_search(model, [s], beam=4)[0]
                assert b == alone, f"experts {experts}: batched {b} != alone {alone}"
                assert len(b) <= 3 * len(s)
    print("beam_search_check: beam 1 = greedy, batched = alone (dense and MoE)")


if __name__ == "__main__":
    main()
