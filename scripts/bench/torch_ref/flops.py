# Model FLOPs of training the Seq2Seq of model.py (= moemt's transformer) on given sentence
# pairs, for model FLOP utilisation (MFU). No torch needed.
#
# Counted as in Megatron-LM and PaLM: the matrix products only (2 FLOPs per multiply-add),
# backward = 2x forward, so training = 3x forward; attention scores and context in full (no
# halving for the causal mask); every token through top_k experts whatever capacity dropped
# (model FLOPs, not hardware FLOPs); padding not counted. Per pair with s encoder tokens and t
# decoder tokens (train.ids: s counts the target tag and eos, t the target pieces + eos):
#   encoder layer: 2s*4d^2 (q, k, v, o) + 4s^2*d (QK^T, PV) + FFN(s)
#   decoder layer: 2t*4d^2 + 4t^2*d (self) + 2t*2d^2 + 2s*2d^2 + 4ts*d (cross) + FFN(t)
#   FFN(n): dense 2n*2d*dff; MoE top_k*2n*2d*dff + 2n*d*E (router)
#   output layer (tied embedding): 2t*d*V


def pair_forward_flops(s, t, cfg):
    d, dff, v = cfg["d"], cfg["dff"], cfg["vocab"]
    experts, k, every = cfg.get("experts", 0), cfg.get("top_k", 2), cfg.get("every", 2)

    def ffn(n, layer):
        if experts and every and (layer + 1) % every == 0:
            return k * 2 * n * 2 * d * dff + 2 * n * d * experts
        return 2 * n * 2 * d * dff

    f = 0
    for i in range(cfg["enc_layers"]):
        f += 2 * s * 4 * d * d + 4 * s * s * d + ffn(s, i)
    for i in range(cfg["dec_layers"]):
        f += 2 * t * 4 * d * d + 4 * t * t * d
        f += 2 * t * 2 * d * d + 2 * s * 2 * d * d + 4 * t * s * d
        f += ffn(t, i)
    return f + 2 * t * d * v


def train_flops_per_token(pairs, cfg):
    """Training FLOPs per (encoder + decoder) token, averaged over the pairs [(s, t), ...]."""
    flops = sum(3 * pair_forward_flops(s, t, cfg) for s, t in pairs)
    tokens = sum(s + t for s, t in pairs)
    return flops / max(tokens, 1)


def pairs_of_ids(path):
    """(s, t) token counts of a train.ids file (corpus.py --ids)."""
    out = []
    with open(path) as f:
        for line in f:
            src, tgt = line.rstrip("\n").split("\t")
            out.append((len(src.split()), len(tgt.split()) + 1))
    return out
