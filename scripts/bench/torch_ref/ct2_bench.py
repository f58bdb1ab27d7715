# CTranslate2 decoding speed on the same dense model as the PyTorch reference: the torch
# Seq2Seq (random weights, fixed seed) is written into a CTranslate2 TransformerSpec (pre-norm,
# ReLU, sinusoidal table, shared embeddings) through ctranslate2's Converter API, then decoded
# greedy and with beam 4, every output forced to exactly --length tokens with
# min/max_decoding_length. Before timing, CTranslate2's greedy output is compared with the torch
# reference's on the first sentences (same weights => same tokens), so both run the same model.
#
#   ct2_bench.py --input FILE --spm MODEL [--beams 1 4] [--length 64] [--batch-size 16]
# Needs the `ctranslate2` package (pip) and Debian's python3-torch in the same interpreter
# (a venv created with --system-site-packages on /usr/bin/python3).
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import decode_bench  # noqa: E402
from model import Seq2Seq  # noqa: E402


def to_numpy(t):
    return t.detach().float().contiguous().numpy()


def set_linear(spec, lin):
    spec.weight = to_numpy(lin.weight)  # (out, in), as torch stores it
    spec.bias = to_numpy(lin.bias)


def set_ln(spec, ln):
    spec.gamma, spec.beta = to_numpy(ln.weight), to_numpy(ln.bias)


def build_spec(model, pieces):
    import ctranslate2
    from ctranslate2.specs import common_spec, transformer_spec
    spec = transformer_spec.TransformerSpec.from_config(
        (len(model.enc), len(model.dec)), model.enc[0].att.h, pre_norm=True,
        activation=common_spec.Activation.RELU)
    spec.config.layer_norm_epsilon = 1e-5  # torch's LayerNorm default
    emb, pe = to_numpy(model.emb.weight), to_numpy(model.pe)
    for side in (spec.encoder, spec.decoder):
        embs = side.embeddings if isinstance(side.embeddings, list) else [side.embeddings]
        for e in embs:
            e.weight = emb
        side.scale_embeddings = True
        side.position_encodings.encodings = pe  # interleaved sin/cos, as moemt and torch_ref
    set_ln(spec.encoder.layer_norm, model.enc_ln)
    set_ln(spec.decoder.layer_norm, model.dec_ln)
    spec.decoder.projection.weight = emb
    spec.decoder.projection.bias = np.zeros(emb.shape[0], dtype=np.float32)
    for s, l in zip(spec.encoder.layer, model.enc):
        set_ln(s.self_attention.layer_norm, l.ln1)
        qkv = torch.nn.Linear(1, 1)
        qkv.weight = torch.nn.Parameter(torch.cat([l.att.q.weight, l.att.kv.weight]))
        qkv.bias = torch.nn.Parameter(torch.cat([l.att.q.bias, l.att.kv.bias]))
        set_linear(s.self_attention.linear[0], qkv)
        set_linear(s.self_attention.linear[1], l.att.o)
        set_ln(s.ffn.layer_norm, l.ln2)
        set_linear(s.ffn.linear_0, l.ffn.w1)
        set_linear(s.ffn.linear_1, l.ffn.w2)
    for s, l in zip(spec.decoder.layer, model.dec):
        set_ln(s.self_attention.layer_norm, l.ln1)
        qkv = torch.nn.Linear(1, 1)
        qkv.weight = torch.nn.Parameter(torch.cat([l.self_att.q.weight, l.self_att.kv.weight]))
        qkv.bias = torch.nn.Parameter(torch.cat([l.self_att.q.bias, l.self_att.kv.bias]))
        set_linear(s.self_attention.linear[0], qkv)
        set_linear(s.self_attention.linear[1], l.self_att.o)
        set_ln(s.attention.layer_norm, l.ln2)
        set_linear(s.attention.linear[0], l.cross_att.q)
        set_linear(s.attention.linear[1], l.cross_att.kv)
        set_linear(s.attention.linear[2], l.cross_att.o)
        set_ln(s.ffn.layer_norm, l.ln3)
        set_linear(s.ffn.linear_0, l.ffn.w1)
        set_linear(s.ffn.linear_1, l.ffn.w2)
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)

    class Converter(ctranslate2.converters.Converter):
        def _load(self):
            return spec

    return Converter()


def main():
    args = common.decode_args()

    import ctranslate2
    import sentencepiece as spm
    common.setup_threads(args.threads)
    sp = spm.SentencePieceProcessor(model_file=args.spm)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    rows, vocab = decode_bench.encode_input(args.spm, args.input, args.sentences, args.tgt_lang)
    torch.manual_seed(1)  # same weights as decode_bench.py
    model = Seq2Seq(vocab=vocab)
    model.eval()
    out_dir = tempfile.mkdtemp(prefix="moemt_ct2_")
    build_spec(model, pieces).convert(out_dir, force=True)
    tr = ctranslate2.Translator(out_dir, device="cpu", compute_type="float32", inter_threads=1,
                                intra_threads=args.threads)
    batch = [[pieces[i] for i in r] for r in rows]

    # Same model check: greedy tokens of CTranslate2 and torch on the first sentences.
    check = 4
    with torch.inference_mode():
        ref = decode_bench.decode(model, decode_bench.pad(rows[:check]), 1, 8).tolist()
    suppress = [[pieces[i]] for i in decode_bench.BLOCKED if i != decode_bench.EOS]
    got = tr.translate_batch(batch[:check], beam_size=1, max_decoding_length=8,
                             min_decoding_length=8, suppress_sequences=suppress)
    got = [[sp.piece_to_id(p) for p in r.hypotheses[0]] for r in got]
    same = sum(a == b for a, b in zip(ref, got))
    settings = {"ctranslate2": ctranslate2.__version__, "compute_type": "float32",
                "intra_threads": args.threads, "inter_threads": 1,
                "cpu_compute_types": sorted(ctranslate2.get_supported_compute_types("cpu")),
                "greedy_same_as_torch": f"{same}/{check}"}

    for beam in args.beams:
        times = []
        for _ in range(args.repeats + 1):  # first run = warm-up
            t0 = time.perf_counter()
            res = tr.translate_batch(batch, beam_size=beam, max_batch_size=args.batch_size,
                                     batch_type="examples", max_decoding_length=args.length,
                                     min_decoding_length=args.length,
                                     suppress_sequences=suppress)
            times.append(time.perf_counter() - t0)
            n = sum(len(r.hypotheses[0]) for r in res)
        t = common.median(times[1:])
        common.emit({
            "bench": "decode_cpu", "system": "ctranslate2", "beam": beam,
            "tokens_per_s": round(n / t, 1), "seconds_median": round(t, 3),
            "repeats": args.repeats, "sentences": len(rows), "batch_size": args.batch_size,
            "output_length": args.length, "output_tokens": n, "reference": settings,
        })


if __name__ == "__main__":
    main()
