# Writes a deterministic synthetic parallel corpus (two pseudo-languages) for the speed
# benchmarks, so moemt and the PyTorch reference train on the same text with a realistic
# sentence-length distribution and enough distinct words for an 8,000-piece vocabulary.
#
#   corpus.py OUT_DIR [--pairs N] [--seed S] [--vocab-size 8000] [--ids]
#   -> OUT_DIR/train.eng_Latn, OUT_DIR/train.deu_Latn (one sentence per line, aligned) and
#      OUT_DIR/spm8k.model, the sentencepiece model both systems use (moemt via --vocabs).
#   --ids also writes OUT_DIR/train.ids: the pairs as the reference feeds them (encoder ids
#      with the target tag and eos, TAB, target pieces), for a machine without sentencepiece's
#      Python module (train_bench.py --ids; scripts/bench/train_gpu.sh).
# Existing files are kept (the corpus is deterministic), so reruns are cheap.
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402


def make_lexicon(rng, syllables, size):
    words = set()
    while len(words) < size:
        n = rng.choice((1, 2, 2, 3, 3, 4))
        words.add("".join(rng.choice(syllables) for _ in range(n)))
    return sorted(words)


def syllable_set(rng, onsets, vowels, codas):
    return [o + v + c for o in onsets for v in vowels for c in codas]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--pairs", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--ids", action="store_true")
    args = ap.parse_args()
    src_path = os.path.join(args.out_dir, "train.eng_Latn")
    tgt_path = os.path.join(args.out_dir, "train.deu_Latn")
    if not (os.path.exists(src_path) and os.path.exists(tgt_path)):
        write_corpus(args, src_path, tgt_path)
    spm_path = data.train_spm([src_path, tgt_path], os.path.join(args.out_dir, "spm8k"),
                              args.vocab_size, ["eng_Latn", "deu_Latn"])
    ids_path = os.path.join(args.out_dir, "train.ids")
    if args.ids and not os.path.exists(ids_path):
        data.write_ids(data.load_samples(spm_path, src_path, tgt_path, "deu_Latn"), ids_path)


def write_corpus(args, src_path, tgt_path):
    rng = random.Random(args.seed)
    src_syl = syllable_set(rng, ["", "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s",
                                 "t", "w", "th", "st"], ["a", "e", "i", "o", "u", "ea"],
                           ["", "n", "r", "s", "t"])
    tgt_syl = syllable_set(rng, ["", "b", "d", "f", "g", "h", "k", "l", "m", "n", "r", "s", "t",
                                 "w", "z", "sch", "ch"], ["a", "e", "i", "o", "u", "ei", "ü"],
                           ["", "n", "r", "st", "ch"])
    src_lex = make_lexicon(rng, src_syl, 30000)
    tgt_lex = make_lexicon(rng, tgt_syl, 30000)
    rng.shuffle(src_lex)
    rng.shuffle(tgt_lex)
    # Zipf-like word frequencies (rank r has weight 1/(r+2)).
    cum, acc = [], 0.0
    for r in range(30000):
        acc += 1.0 / (r + 2)
        cum.append(acc)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(src_path + ".tmp", "w") as fs, open(tgt_path + ".tmp", "w") as ft:
        for _ in range(args.pairs):
            # Words per sentence: log-normal, median ~17 (news/web-like), clipped to [2, 70].
            n = min(70, max(2, int(rng.lognormvariate(2.85, 0.55))))
            m = min(70, max(2, int(n * rng.uniform(0.9, 1.25))))
            ws = rng.choices(range(30000), cum_weights=cum, k=n)
            wt = rng.choices(range(30000), cum_weights=cum, k=m)
            s = " ".join(src_lex[i] for i in ws)
            t = " ".join(tgt_lex[i] for i in wt)
            fs.write(s[0].upper() + s[1:] + ".\n")
            ft.write(t[0].upper() + t[1:] + ".\n")
    os.replace(src_path + ".tmp", src_path)
    os.replace(tgt_path + ".tmp", tgt_path)


if __name__ == "__main__":
    main()
