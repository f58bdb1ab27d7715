# Tokenisation and batching for the PyTorch reference, following moemt's conventions
# (src/data/sample.h, src/data/batch.h): encoder input [<2tgt>] + pieces + [eos], decoder input
# [bos] + pieces, decoder output pieces + [eos]; mini-batches filled while the padded size
# max(B*S, B*T) stays within the token budget, after sorting a maxi-batch by length.
import os
import random
import subprocess

import torch

from model import BOS, EOS, PAD


def train_spm(corpus_files, prefix, vocab_size, langs):
    """An 8k-piece unigram model with moemt's special ids and language tags (spm_train from
    Debian's `sentencepiece`), used when no moemt vocabulary is given."""
    if os.path.exists(prefix + ".model"):
        return prefix + ".model"
    subprocess.run(["spm_train", "--input=" + ",".join(corpus_files), "--model_prefix=" + prefix,
                    f"--vocab_size={vocab_size}", "--model_type=unigram",
                    "--character_coverage=1.0", "--byte_fallback=true", "--pad_id=0",
                    "--unk_id=1", "--bos_id=2", "--eos_id=3",
                    "--user_defined_symbols=" + ",".join(f"<2{l}>" for l in langs),
                    "--input_sentence_size=200000", "--shuffle_input_sentence=true",
                    "--minloglevel=2"], check=True, stdout=subprocess.DEVNULL)
    return prefix + ".model"


def load_samples(spm_path, src_file, tgt_file, tgt_lang, max_length=256):
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=spm_path)
    tag = sp.piece_to_id(f"<2{tgt_lang}>")
    with open(src_file) as f:
        src = [l.rstrip("\n") for l in f]
    with open(tgt_file) as f:
        tgt = [l.rstrip("\n") for l in f]
    src_ids, tgt_ids = sp.encode(src), sp.encode(tgt)
    samples = []
    for s, t in zip(src_ids, tgt_ids):
        s = ([tag] if tag != sp.unk_id() else []) + s + [EOS]
        if len(s) <= max_length and len(t) + 1 <= max_length:
            samples.append((s, t))
    return samples


def write_ids(samples, path):
    """One pair per line: encoder ids, TAB, target ids (space-separated; read_ids reads it)."""
    with open(path + ".tmp", "w") as f:
        for s, t in samples:
            f.write(" ".join(map(str, s)) + "\t" + " ".join(map(str, t)) + "\n")
    os.replace(path + ".tmp", path)


def read_ids(path):
    samples = []
    with open(path) as f:
        for line in f:
            s, t = line.rstrip("\n").split("\t")
            samples.append(([int(x) for x in s.split()], [int(x) for x in t.split()]))
    return samples


def make_batches(samples, budget, seed=1, maxi_batch=100):
    """Lists of sample indices: shuffle, read ahead maxi_batch budgets' worth of tokens, sort by
    (decoder length, encoder length), cut while max(B*S, B*T) <= budget."""
    rng = random.Random(seed)
    order = list(range(len(samples)))
    rng.shuffle(order)
    batches, i = [], 0
    while i < len(order):
        chunk, toks = [], 0
        while i < len(order) and toks < maxi_batch * budget:
            s, t = samples[order[i]]
            chunk.append(order[i])
            toks += max(len(s), len(t) + 1)
            i += 1
        chunk.sort(key=lambda k: (len(samples[k][1]) + 1, len(samples[k][0])))
        cur, smax, tmax = [], 0, 0
        for k in chunk:
            s, t = samples[k]
            ns, nt = max(smax, len(s)), max(tmax, len(t) + 1)
            if cur and (len(cur) + 1) * max(ns, nt) > budget:
                batches.append(cur)
                cur, ns, nt = [], len(s), len(t) + 1
            cur.append(k)
            smax, tmax = ns, nt
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches


def to_tensors(samples, idx):
    """(src, tgt_in, tgt_out, non-pad src tokens, non-pad tgt tokens) for one batch."""
    b = len(idx)
    s_len = max(len(samples[k][0]) for k in idx)
    t_len = max(len(samples[k][1]) for k in idx) + 1
    src = torch.full((b, s_len), PAD, dtype=torch.long)
    tin = torch.full((b, t_len), PAD, dtype=torch.long)
    tout = torch.full((b, t_len), PAD, dtype=torch.long)
    ns = nt = 0
    for r, k in enumerate(idx):
        s, t = samples[k]
        src[r, :len(s)] = torch.tensor(s)
        tin[r, :len(t) + 1] = torch.tensor([BOS] + t)
        tout[r, :len(t) + 1] = torch.tensor(t + [EOS])
        ns += len(s)
        nt += len(t) + 1
    return src, tin, tout, ns, nt
