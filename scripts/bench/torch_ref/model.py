# PyTorch reference of moemt's Seq2Seq for speed benchmarks: pre-norm Transformer
# encoder-decoder, tied embeddings, sinusoidal positions, optional top-k MoE FFN blocks.
#
# Written for scripts/bench/ (not a copy of any other project). It mirrors moemt's model
# (src/model/seq2seq.cc): embeddings scaled by sqrt(d_model), attention projections with biases,
# ReLU FFN without inner dropout, final LayerNorm on both stacks, output projection = the shared
# embedding matrix without bias, MoE in layer i (0-based) when (i + 1) % every == 0.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, BOS, EOS = 0, 1, 2, 3  # moemt's special ids (src/data/vocab.h)


def sinusoidal_table(max_len, d):
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class Attention(nn.Module):
    """Multi-head attention. q is (B,Tq,D), kv is (B,Tk,D); mask is additive, broadcastable
    to (B,H,Tq,Tk)."""

    def __init__(self, d, heads, sdpa=False):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.sdpa = sdpa
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)  # K and V in one GEMM
        self.o = nn.Linear(d, d)

    def split(self, x):  # (B,T,D) -> (B,H,T,dh)
        b, t, _ = x.shape
        return x.view(b, t, self.h, self.dh).transpose(1, 2)

    def project_kv(self, kv):
        k, v = self.kv(kv).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def attend(self, q, k, v, mask):
        b, _, tq, _ = q.shape
        if self.sdpa:  # PyTorch 2's fused attention (a mask rules out flash, not mem-efficient)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else
                                                 mask.to(q.dtype))
            return self.o(out.transpose(1, 2).reshape(b, tq, self.h * self.dh))
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh))
        if mask is not None:
            s = s + mask
        p = torch.softmax(s, dim=-1)
        out = torch.matmul(p, v).transpose(1, 2).reshape(b, tq, self.h * self.dh)
        return self.o(out)

    def forward(self, x, kv, mask):
        k, v = self.project_kv(kv)
        return self.attend(self.split(self.q(x)), k, v, mask)


class FeedForward(nn.Module):
    def __init__(self, d, dff):
        super().__init__()
        self.w1 = nn.Linear(d, dff)
        self.w2 = nn.Linear(dff, d)

    def forward(self, x, nonpad=None):
        return self.w2(F.relu(self.w1(x))), x.new_zeros(())


class MoE(nn.Module):
    """Top-k mixture of experts (GShard-style): softmax router in fp32, kept gates renormalised,
    capacity ceil(cf * k * N / E) per expert with overflow through the residual, switch
    balancing loss and router z-loss. Tokens are sorted by expert, every expert runs one GEMM
    pair on its contiguous rows (index_select), results are scattered back with index_add_."""

    def __init__(self, d, dff, experts, top_k, cf_train=1.25, cf_eval=2.0, min_capacity=4,
                 switch_coef=0.01, z_coef=0.001):
        super().__init__()
        self.e, self.k = experts, top_k
        self.cf_train, self.cf_eval, self.min_capacity = cf_train, cf_eval, min_capacity
        self.switch_coef, self.z_coef = switch_coef, z_coef
        self.router = nn.Linear(d, experts, bias=False)
        nn.init.normal_(self.router.weight, std=0.02)
        self.w1 = nn.Parameter(torch.empty(experts, d, dff))
        self.b1 = nn.Parameter(torch.zeros(experts, dff))
        self.w2 = nn.Parameter(torch.empty(experts, dff, d))
        self.b2 = nn.Parameter(torch.zeros(experts, d))
        nn.init.uniform_(self.w1, -1 / math.sqrt(d), 1 / math.sqrt(d))
        nn.init.uniform_(self.w2, -1 / math.sqrt(dff), 1 / math.sqrt(dff))

    def forward(self, x, nonpad=None):
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        # Route only real tokens: padding must not take expert capacity.
        rows = nonpad.reshape(-1).nonzero().squeeze(1) if nonpad is not None else None
        xt = x.index_select(0, rows) if rows is not None else x
        n = xt.shape[0]
        logits = self.router(xt).float()
        probs = torch.softmax(logits, dim=-1)
        gate, expert = probs.topk(self.k, dim=-1)  # (N,k)
        gate = gate / gate.sum(-1, keepdim=True)
        cf = self.cf_train if self.training else self.cf_eval
        # cf 0 = dropless (as moemt's decoding): an expert gets at most every token once.
        capacity = n if cf <= 0 else max(self.min_capacity, math.ceil(cf * self.k * n / self.e))
        # Slots in (choice, token) order so first choices win capacity before second choices.
        slot_expert = expert.t().reshape(-1)
        slot_token = torch.arange(n, device=x.device).repeat(self.k)
        slot_gate = gate.t().reshape(-1)
        order = torch.sort(slot_expert, stable=True).indices
        sorted_expert = slot_expert[order]
        counts = torch.bincount(sorted_expert, minlength=self.e)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(order.numel(), device=x.device) - starts[sorted_expert]
        keep = rank < capacity
        order, sorted_expert = order[keep], sorted_expert[keep]
        kept = torch.minimum(counts, torch.full_like(counts, capacity)).tolist()
        tok = slot_token[order]
        xs = xt.index_select(0, tok)
        outs, off = [], 0
        for e, c in enumerate(kept):
            if c:
                h = F.relu(torch.addmm(self.b1[e], xs[off:off + c], self.w1[e]))
                outs.append(torch.addmm(self.b2[e], h, self.w2[e]))
            off += c
        ys = torch.cat(outs) * slot_gate[order].unsqueeze(1).to(x.dtype)
        yt = xt.new_zeros(xt.shape).index_add_(0, tok, ys)
        y = x.new_zeros(x.shape).index_add_(0, rows, yt) if rows is not None else yt
        aux = x.new_zeros(())
        if self.training:
            frac = torch.bincount(expert[:, 0], minlength=self.e).float() / max(n, 1)
            aux = self.switch_coef * self.e * (frac * probs.mean(0)).sum()
            aux = aux + self.z_coef * torch.logsumexp(logits, -1).pow(2).mean()
        return y.view(shape), aux


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout, sdpa=False):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.att = Attention(d, heads, sdpa)
        self.ffn = ffn
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask, nonpad):
        h = self.ln1(x)
        x = x + self.drop(self.att(h, h, mask))
        y, aux = self.ffn(self.ln2(x), nonpad)
        return x + self.drop(y), aux


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout, sdpa=False):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_att, self.cross_att = Attention(d, heads, sdpa), Attention(d, heads, sdpa)
        self.ffn = ffn
        self.drop = nn.Dropout(dropout)

    def forward(self, x, enc, self_mask, cross_mask, nonpad):
        h = self.ln1(x)
        x = x + self.drop(self.self_att(h, h, self_mask))
        x = x + self.drop(self.cross_att(self.ln2(x), enc, cross_mask))
        y, aux = self.ffn(self.ln3(x), nonpad)
        return x + self.drop(y), aux

    def step(self, x, cache, cross_mask):
        """One decoding position. x (B,1,D); cache holds the self-attention K/V buffers
        (B,H,Lmax,dh), the filled length, and the cross-attention K/V computed once."""
        h = self.ln1(x)
        q = self.self_att.split(self.self_att.q(h))
        k, v = self.self_att.project_kv(h)
        t = cache["len"]
        cache["k"][:, :, t:t + 1] = k
        cache["v"][:, :, t:t + 1] = v
        x = x + self.self_att.attend(q, cache["k"][:, :, :t + 1], cache["v"][:, :, :t + 1], None)
        q = self.cross_att.split(self.cross_att.q(self.ln2(x)))
        x = x + self.cross_att.attend(q, cache["ck"], cache["cv"], cross_mask)
        y, _ = self.ffn(self.ln3(x))
        return x + y


class Seq2Seq(nn.Module):
    def __init__(self, vocab=8000, d=256, heads=4, dff=1024, enc_layers=3, dec_layers=3,
                 dropout=0.1, moe_experts=0, moe_top_k=2, moe_every=2, max_len=1024,
                 sdpa=False):
        super().__init__()
        self.d = d
        self.emb = nn.Embedding(vocab, d, padding_idx=PAD)
        nn.init.normal_(self.emb.weight, std=d ** -0.5)
        self.register_buffer("pe", sinusoidal_table(max_len, d), persistent=False)

        def ffn(i):
            if moe_experts and moe_every and (i + 1) % moe_every == 0:
                return MoE(d, dff, moe_experts, moe_top_k)
            return FeedForward(d, dff)

        self.enc = nn.ModuleList(EncoderLayer(d, heads, ffn(i), dropout, sdpa)
                                 for i in range(enc_layers))
        self.dec = nn.ModuleList(DecoderLayer(d, heads, ffn(i), dropout, sdpa)
                                 for i in range(dec_layers))
        self.enc_ln, self.dec_ln = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)
        self.init_like_moemt()

    def init_like_moemt(self):
        """moemt's initialisation (src/nn/linear.cc, src/moe/expert_bank.cc): Xavier-uniform
        weights with zero biases, K and V as two d x d matrices as moemt builds them, each
        expert's matrices alone; embeddings N(0, 1/d) and routers N(0, 0.02) as built above.
        (PyTorch's Linear default, uniform +-1/sqrt(fan_in) with random biases, starts a
        Transformer at a worse loss; quality_budget.sh compares training from the same start.)"""
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, Attention):
                    for w in (m.q.weight, m.o.weight, *m.kv.weight.chunk(2, 0)):
                        nn.init.xavier_uniform_(w)
                    for b in (m.q.bias, m.kv.bias, m.o.bias):
                        b.zero_()
                elif isinstance(m, FeedForward):
                    for lin in (m.w1, m.w2):
                        nn.init.xavier_uniform_(lin.weight)
                        lin.bias.zero_()
                elif isinstance(m, MoE):
                    for e in range(m.e):
                        nn.init.xavier_uniform_(m.w1[e])
                        nn.init.xavier_uniform_(m.w2[e])

    def embed(self, ids, start=0):
        x = self.emb(ids) * math.sqrt(self.d) + self.pe[start:start + ids.shape[1]]
        return self.drop(x)

    @staticmethod
    def pad_mask(ids):  # additive (B,1,1,S) mask over padded keys
        return torch.zeros(ids.shape, dtype=torch.float32, device=ids.device).masked_fill(
            ids == PAD, float("-inf"))[:, None, None, :]

    def encode(self, src):
        mask, nonpad = self.pad_mask(src), src != PAD
        x, aux = self.embed(src), 0.0
        for layer in self.enc:
            x, a = layer(x, mask, nonpad)
            aux = aux + a
        return self.enc_ln(x), mask, aux

    def forward_loss(self, src, tgt_in, tgt_out, label_smoothing=0.1):
        """Mean label-smoothed CE over non-pad target tokens (+ MoE aux losses). The output
        projection runs on non-pad rows only, as moemt's OutputLayer does."""
        enc, cross_mask, aux = self.encode(src)
        t = tgt_in.shape[1]
        causal = torch.full((t, t), float("-inf"), device=src.device).triu(1)
        self_mask = causal[None, None] + self.pad_mask(tgt_in)
        nonpad = tgt_out != PAD
        x = self.embed(tgt_in)
        for layer in self.dec:
            x, a = layer(x, enc, self_mask, cross_mask, nonpad)
            aux = aux + a
        x = self.dec_ln(x)
        rows = x[nonpad]
        logits = rows @ self.emb.weight.t()
        loss = F.cross_entropy(logits, tgt_out[nonpad], label_smoothing=label_smoothing)
        return loss + aux

    # ---- incremental decoding -------------------------------------------------------------
    def start(self, src, max_len):
        enc, cross_mask, _ = self.encode(src)
        b = src.shape[0]
        caches = []
        for layer in self.dec:
            ck, cv = layer.cross_att.project_kv(enc)
            h, dh = layer.self_att.h, layer.self_att.dh
            caches.append({"k": enc.new_empty(b, h, max_len, dh),
                           "v": enc.new_empty(b, h, max_len, dh),
                           "ck": ck, "cv": cv, "len": 0})
        return {"layers": caches, "cross_mask": cross_mask, "pos": 0}

    def step(self, state, tokens):
        """tokens (B,) -> log-probabilities (B,V) of the next token."""
        x = self.embed(tokens[:, None], state["pos"])
        for layer, cache in zip(self.dec, state["layers"]):
            x = layer.step(x, cache, state["cross_mask"])
            cache["len"] += 1
        state["pos"] += 1
        x = self.dec_ln(x[:, 0])
        return torch.log_softmax(x @ self.emb.weight.t(), dim=-1)

    @staticmethod
    def reorder(state, index):
        """Row b of the state continues old row index[b] (beam search)."""
        for cache in state["layers"]:
            t = cache["len"]
            cache["k"][:, :, :t] = cache["k"][:, :, :t].index_select(0, index)
            cache["v"][:, :, :t] = cache["v"][:, :, :t].index_select(0, index)
        # Cross-attention K/V need no reorder: beams only move within their own sentence,
        # whose rows hold the same source.
