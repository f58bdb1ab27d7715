#!/usr/bin/env python3
# Live cross-check of `moemt score` against the sacrebleu CLI: random lines built from tricky
# Unicode material (CJK, combining marks, emoji, odd spaces, punctuation, digits) plus optional
# real text files, scored by both tools under many option sets, corpus and sentence level, with
# 6 decimals. Prints the mismatches and exits 1 if there is any.
#
#   scripts/bench/score_compare.py --moemt build/bin/moemt [--lines 300] [--seed 1]
#                                  [--ref REF --hyp HYP]
import argparse
import os
import random
import subprocess
import sys
import tempfile

PIECES = [
    'the', 'The', 'cat', 'CAT', 'sat', 'on', 'mat', 'Haus', 'Straße', 'ÄÖÜ', 'naïve', 'İstanbul',
    'ΟΔΟΣ', 'σίσυφος', 'Привет', 'мир', '東京', '北京', '中文', '漢字', 'カタカナ', 'ひらがな', 'ﾊﾝｶｸ',
    '한국어', '서울', 'עברית', 'مرحبا', 'देवनागरी', 'ภาษาไทย', '😀', '👍🏽', '🇩🇪', 'e\u0301', 'a\u0308',
    '1.000,50', '3.14', '1990-2000', '-5', '2,5', '$', '€', '£', '%', '&amp;', '&lt;', '&quot;',
    '<skipped>', '.', ',', '!', '?', ';', ':', '"', "'", "'s", '(', ')', '[', ']', '{', '}', '-',
    '–', '—', '…', '«', '»', '„', '“', '”', '‘', '’', '。', '、', '，', '！', '（', '）', '「', '」',
    '〈', '〉', '・', '：', '？', '∑', '≤', '∞', '±', '→', '©', '®', '™', '°', '½', '²', 'ﬁ', 'ß',
    'Σ', 'ς', 'x', 'A', '0', '9', '/', '\\', '@', '#', '*', '+', '=', '_', '~', '^', '|', '`',
    'Ｆｕｌｌ', 'ＡＢＣ', '１２３', '𠀋', '丽', '豈', '\u00ad', '\u2060', '\u200b', '\ufeff',
]
SPACES = [' '] * 12 + ['  ', '\t', '\u00a0', '\u3000', '\u2009', '\u202f', '\u2028', '']


def random_line(rng):
    n = rng.choice([0, 1, 2, 5, 10, 20, 40])
    return ''.join(rng.choice(PIECES) + rng.choice(SPACES) for _ in range(n)).strip(' ')


def mutate(line, rng):
    toks = line.split(' ')
    out = [t for t in toks if rng.random() > 0.2]
    for _ in range(rng.randrange(3)):
        out.insert(rng.randrange(len(out) + 1), rng.choice(PIECES))
    if len(out) > 3 and rng.random() < 0.5:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return ' '.join(out)


CONFIGS = [
    ['-m', 'bleu'], ['-m', 'bleu', '-tok', 'intl'], ['-m', 'bleu', '-tok', 'char'],
    ['-m', 'bleu', '-tok', 'zh'], ['-m', 'bleu', '-tok', 'none'], ['-m', 'bleu', '-lc'],
    ['-m', 'bleu', '-tok', 'intl', '-lc'], ['-m', 'bleu', '-s', 'floor'],
    ['-m', 'bleu', '-s', 'add-k', '-sv', '2'], ['-m', 'bleu', '-s', 'none'],
    ['-m', 'chrf'], ['-m', 'chrf', '--chrf-word-order', '2'], ['-m', 'chrf', '--chrf-whitespace'],
    ['-m', 'chrf', '--chrf-lowercase', '--chrf-word-order', '2'],
    ['-m', 'chrf', '--chrf-eps-smoothing'], ['-m', 'ter'], ['-m', 'ter', '--ter-normalized'],
    ['-m', 'ter', '--ter-normalized', '--ter-asian-support'],
    ['-m', 'ter', '--ter-no-punct', '--ter-asian-support'], ['-m', 'ter', '--ter-case-sensitive'],
]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, encoding='utf-8')
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed: {p.stderr.strip()[-500:]}')
    return p.stdout.split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--moemt', required=True)
    ap.add_argument('--sacrebleu', default='sacrebleu')
    ap.add_argument('--lines', type=int, default=300)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--ref', help='real reference file to use instead of random lines')
    ap.add_argument('--hyp', help='real hypothesis file (with --ref)')
    ap.add_argument('--quick', action='store_true',
                    help='one reference and every third option set (for the test suite)')
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        if args.ref:
            ref_path, hyp_path = args.ref, args.hyp
            ref2_path = None
        else:
            refs = [random_line(rng) for _ in range(args.lines)]
            hyps = [mutate(r, rng) if rng.random() < 0.8 else random_line(rng) for r in refs]
            refs2 = [mutate(r, rng) for r in refs]
            ref_path, hyp_path, ref2_path = (os.path.join(tmp, n) for n in ('ref', 'hyp', 'ref2'))
            for path, lines in ((ref_path, refs), (hyp_path, hyps), (ref2_path, refs2)):
                with open(path, 'w', encoding='utf-8', newline='\n') as f:
                    f.write(''.join(l + '\n' for l in lines))
        bad = 0
        total = 0
        ref_sets = [[ref_path]] + ([[ref_path, ref2_path]] if ref2_path else [])
        configs = CONFIGS
        if args.quick:
            ref_sets, configs = ref_sets[-1:], CONFIGS[::3]
        for refs in ref_sets:
            for cfg in configs:
                for level in ([], ['-sl']):
                    common = refs + ['-i', hyp_path] + cfg + level + ['-b', '-w', '6']
                    ours = run([args.moemt, 'score'] + common)
                    theirs = run([args.sacrebleu, '-q'] + common)
                    total += 1
                    if ours != theirs:
                        bad += 1
                        diffs = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
                        print(f'MISMATCH {" ".join(cfg + level)} refs={len(refs)}: '
                              f'{len(diffs)} values differ, first at #{diffs[:1]}: '
                              f'{[ours[i] for i in diffs[:3]]} vs {[theirs[i] for i in diffs[:3]]}'
                              if diffs else f'MISMATCH lengths {len(ours)} vs {len(theirs)}')
        print(f'{total - bad}/{total} configurations identical to 6 decimals')
        return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
