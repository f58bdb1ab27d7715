#!/usr/bin/env python3
# Builds the committed scoring test vectors: input texts from FLORES-200 dev excerpts (CC BY-SA
# 4.0) with seeded perturbations, hand-written heavy-Unicode lines, and the expected scores
# produced by the sacrebleu Python package (the oracle). See README.md in this folder.
#
#   python3 tests/data/score/make_vectors.py [--flores /work/shared/data/flores200/dev]
#
# Writes *.txt inputs and expected.jsonl next to this script. Deterministic (fixed seeds).
import argparse
import json
import os
import random
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER

HERE = os.path.dirname(os.path.abspath(__file__))
N_LINES = 150

LANGS = {  # set name -> FLORES file stem, unit of perturbation
    'deu': ('deu_Latn', 'word'),
    'eng': ('eng_Latn', 'word'),
    'rus': ('rus_Cyrl', 'word'),
    'ell': ('ell_Grek', 'word'),
    'zho': ('zho_Hans', 'char'),
    'jpn': ('jpn_Jpan', 'char'),
    'kor': ('kor_Hang', 'word'),
}


def perturb(line, other, rng, unit):
    """A plausible 'system output': drops, swaps, substitutions, sometimes empty or 1 token."""
    r = rng.random()
    if r < 0.06:
        return ''
    toks = line.split() if unit == 'word' else list(line)
    other_toks = other.split() if unit == 'word' else list(other)
    if r < 0.10 and toks:
        return toks[0]
    out = []
    for t in toks:
        x = rng.random()
        if x < 0.10:
            continue  # drop
        if x < 0.17 and other_toks:
            out.append(rng.choice(other_toks))  # substitute
            continue
        out.append(t)
        if x > 0.97:
            out.append(t)  # duplicate
    if len(out) > 3 and rng.random() < 0.4:  # move a chunk (TER shifts)
        i = rng.randrange(len(out) - 2)
        j = rng.randrange(len(out))
        chunk = out[i:i + 2]
        del out[i:i + 2]
        out[j:j] = chunk
    if out and rng.random() < 0.2:
        out[0] = out[0].lower() if out[0][:1].isupper() else out[0].upper()
    sep = ' ' if unit == 'word' else ''
    return sep.join(out)


UNICODE_REF = [
    'Das kostet 1.000,50 € – oder $3.14 (etwa).',
    'He said: "It\'s John\'s car," and left...',
    'Ça coûte 10 000 €, n\'est-ce pas ?',
    'Ｆｕｌｌ－ｗｉｄｔｈ　ｔｅｘｔ：ＡＢＣ１２３。',
    '東京は日本の首都です。人口は約1400万人。',
    '我们在２０２３年去了北京，天气很好！',
    'Ελληνικά: ΟΔΟΣ, οδός, ΣΊΣΥΦΟΣ σίσυφος.',
    'Русский текст: «Привет, мир!» — сказал он.',
    'e\u0301 combining acute, a\u0308 umlaut, n\u0303 tilde.',
    'Emoji 😀👍🏽 and flags 🇩🇪🇫🇷 in text 🎉.',
    'Non\u00a0breaking\u00a0spaces and zero\u200bwidth\u200bspace.',
    'Tabs\tinside\tthe line and  double  spaces.',
    'İstanbul ve IĞDIR şehirleri; ıspanak.',
    'ﬁ ligature, ß sharp s, Å ångström, µ micro.',
    'URL: https://example.com/a-b_c?x=1&y=2#frag',
    '&amp; &lt;tag&gt; &quot;quoted&quot; <skipped> text',
    'Numbers: 3-4, 1990-2000, -5, 2.5.3, 1,2,3.',
    '한국어 문장입니다. 서울은 크다!',
    'עברית וערבية: שלום، مرحبا.',
    'Hindi देवनागरी लिपि में पाठ।',
    'thai ภาษาไทยไม่มีช่องว่าง',
    'Math ∑ x² ≤ ∞ ± 1 → ∀ ∃ ≠ ≈',
    'Quotes ‘single’ “double” „low“ ‹angle› «guillemets»',
    '…ellipsis—em dash–en dash',
    'x',
    '.',
    '',
    'CJK ext B 𠀋𠀀 and compat 丽 豈 more',
    'Katakana カタカナ ﾊﾝｶｸ hiragana ひらがな。',
    'Mixed 中文English混合text测试123。',
    'Trailing spaces and NBSP here\u00a0',
    'ÀÉÎÕÜ àéîõü ÇÑ çñ',
    'a.b,c;d:e!f?g(h)i[j]k{l}m',
    "Don't, won't; it's 'quoted' isn't.",
    'ＡＢＣ　全角スペース　テスト',
    '〈括弧〉《二重》「かぎ」『二重かぎ』【隅付き】',
    'Σ final sigma test: ΟΔΥΣΣΕΥΣ ΚΑΙ ΑΧΙΛΛΕΥΣ',
    'Line with\u2028line separator and \u3000 ideographic space',
    'Soft\u00adhyphen and word\u2060joiner',
    '数字１２３と漢字',
]


def unicode_hyps(rng):
    hyps = []
    for i, line in enumerate(UNICODE_REF):
        if i % 7 == 3:
            hyps.append(line)  # exact match
        elif i % 7 == 5:
            hyps.append('')
        else:
            hyps.append(perturb(line, UNICODE_REF[(i + 1) % len(UNICODE_REF)], rng,
                                'char' if i % 3 == 0 else 'word'))
    return hyps


def write(name, lines):
    with open(os.path.join(HERE, name), 'w', encoding='utf-8', newline='\n') as f:
        for line in lines:
            assert '\n' not in line
            f.write(line + '\n')


def read(name):
    with open(os.path.join(HERE, name), encoding='utf-8', newline='\n') as f:
        return [line.rstrip() for line in f]


def build_inputs(flores):
    rng = random.Random(20261122)
    sets = {}
    for name, (stem, unit) in LANGS.items():
        with open(os.path.join(flores, f'{stem}.dev'), encoding='utf-8') as f:
            lines = [l.rstrip('\n') for l in f][:N_LINES]
        hyp = [perturb(l, lines[(i + 7) % len(lines)], rng, unit) for i, l in enumerate(lines)]
        hyp2 = [perturb(l, lines[(i + 3) % len(lines)], rng, unit) for i, l in enumerate(lines)]
        ref2 = [perturb(l, l, rng, unit) if i % 5 else l for i, l in enumerate(lines)]
        write(f'{name}.ref.txt', lines)
        write(f'{name}.ref2.txt', ref2)
        write(f'{name}.hyp.txt', hyp)
        write(f'{name}.hyp2.txt', hyp2)
        sets[name] = lines
    # Very long lines: 40 FLORES sentences joined, a few times.
    with open(os.path.join(flores, 'eng_Latn.dev'), encoding='utf-8') as f:
        eng = [l.rstrip('\n') for l in f]
    long_ref = [' '.join(eng[i:i + 40]) for i in range(200, 400, 40)]
    long_hyp = [perturb(l, l, rng, 'word') for l in long_ref]
    write('long.ref.txt', long_ref)
    write('long.hyp.txt', long_hyp)
    write('unicode.ref.txt', UNICODE_REF)
    write('unicode.hyp.txt', unicode_hyps(rng))
    write('unicode.ref2.txt', [perturb(l, l, rng, 'word') if i % 2 else l
                               for i, l in enumerate(UNICODE_REF)])


def configs():
    """(metric, options) pairs; options use sacrebleu's constructor argument names."""
    out = []
    for tok in ['13a', 'intl', 'char', 'zh', 'none']:
        out.append(('bleu', {'tokenize': tok}))
    out += [
        ('bleu', {'tokenize': '13a', 'lowercase': True}),
        ('bleu', {'tokenize': 'intl', 'lowercase': True}),
        ('bleu', {'smooth_method': 'floor'}),
        ('bleu', {'smooth_method': 'floor', 'smooth_value': 0.2}),
        ('bleu', {'smooth_method': 'add-k'}),
        ('bleu', {'smooth_method': 'none'}),
        ('bleu', {'effective_order': True}),
        ('chrf', {}),
        ('chrf', {'word_order': 2}),
        ('chrf', {'whitespace': True}),
        ('chrf', {'lowercase': True, 'word_order': 2}),
        ('chrf', {'eps_smoothing': True}),
        ('chrf', {'char_order': 4, 'beta': 1}),
        ('ter', {}),
        ('ter', {'normalized': True}),
        ('ter', {'normalized': True, 'asian_support': True}),
        ('ter', {'no_punct': True}),
        ('ter', {'no_punct': True, 'asian_support': True}),
        ('ter', {'case_sensitive': True}),
    ]
    return out


def make_metric(metric, opts):
    return {'bleu': BLEU, 'chrf': CHRF, 'ter': TER}[metric](**opts)


def write_tokenizer_cases(names):
    """Tokenizer outputs on every Unicode line and the first lines of each set."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International
    from sacrebleu.tokenizers.tokenizer_char import TokenizerChar
    from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh
    from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer
    toks = {'13a': Tokenizer13a(), 'intl': TokenizerV14International(), 'char': TokenizerChar(),
            'zh': TokenizerZh(),
            'ter': TercomTokenizer(),
            'ter_norm': TercomTokenizer(normalized=True),
            'ter_norm_asian': TercomTokenizer(normalized=True, asian_support=True),
            'ter_nopunct_asian': TercomTokenizer(no_punct=True, asian_support=True,
                                                 case_sensitive=True)}
    lines = list(UNICODE_REF) + read('unicode.hyp.txt')
    for name in names:
        lines += read(f'{name}.ref.txt')[:10] + read(f'{name}.hyp.txt')[:10]
    with open(os.path.join(HERE, 'tokenize.jsonl'), 'w', encoding='utf-8') as f:
        for line in lines:
            case = {'text': line, 'lower': line.lower()}
            for k, t in toks.items():
                case[k] = t(line.rstrip())
            f.write(json.dumps(case, ensure_ascii=False) + '\n')


def write_paired_cases():
    """sacrebleu's paired bootstrap test (PairedTest, as --paired-bs) and --confidence."""
    from sacrebleu.significance import PairedTest
    out = []
    for name, metrics in [('deu', {'BLEU': BLEU(), 'chrF2++': CHRF(word_order=2), 'TER': TER()}),
                          ('zho', {'BLEU': BLEU(tokenize='zh'), 'chrF2': CHRF()})]:
        hyps = [read(f'{name}.hyp.txt'), read(f'{name}.hyp2.txt')]
        refs = [read(f'{name}.ref.txt')]
        for m in metrics.values():  # PairedTest expects the metrics to hold the references
            m._ref_cache = m._cache_references(refs)
        ps = PairedTest([('base', hyps[0]), ('sys', hyps[1])], metrics, references=None,
                        test_type='bs', n_samples=1000)
        _, scores = ps()
        for key, results in scores.items():
            if key == 'System':
                continue
            opts = {'tokenize': 'zh'} if key == 'BLEU' and name == 'zho' else \
                {'word_order': 2} if key == 'chrF2++' else {}
            out.append({'set': name, 'metric': key.lower()[:4].rstrip('2'), 'opts': opts,
                        'hyps': [f'{name}.hyp.txt', f'{name}.hyp2.txt'],
                        'refs': [f'{name}.ref.txt'], 'seed': 12345, 'n': 1000,
                        'results': [{'score': float(r.score), 'mean': float(r.mean),
                                     'ci': float(r.ci),
                                     'p_value': None if r.p_value is None else float(r.p_value)}
                                    for r in results]})
    with open(os.path.join(HERE, 'paired_bs.jsonl'), 'w', encoding='utf-8') as f:
        for c in out:
            f.write(json.dumps(c) + '\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--flores', default='/work/shared/data/flores200/dev')
    ap.add_argument('--skip-inputs', action='store_true', help='reuse the committed inputs')
    args = ap.parse_args()
    if not args.skip_inputs:
        build_inputs(args.flores)
    cases = []
    names = list(LANGS) + ['unicode', 'long']
    for name in names:
        hyp_file = f'{name}.hyp.txt'
        ref_sets = [[f'{name}.ref.txt']]
        if os.path.exists(os.path.join(HERE, f'{name}.ref2.txt')):
            ref_sets.append([f'{name}.ref.txt', f'{name}.ref2.txt'])
        for refs in ref_sets:
            hyps = read(hyp_file)
            ref_streams = [read(r) for r in refs]
            for metric, opts in configs():
                if name == 'long' and metric == 'ter' and opts:
                    continue  # keep the oracle run short: one TER config on long lines
                m = make_metric(metric, opts)
                sc = m.corpus_score(hyps, ref_streams)
                case = {'hyp': hyp_file, 'refs': refs, 'metric': metric, 'opts': opts,
                        'score': sc.score, 'signature': str(m.get_signature())}
                if metric == 'bleu':
                    case.update(counts=list(sc.counts), totals=list(sc.totals),
                                sys_len=sc.sys_len, ref_len=sc.ref_len)
                # Sentence-level scores for the default configurations.
                if not opts or opts == {'word_order': 2} or opts == {'effective_order': True}:
                    sopts = dict(opts)
                    if metric == 'bleu':
                        sopts['effective_order'] = True
                    sm = make_metric(metric, sopts)
                    case['sentence'] = [sm.sentence_score(h, [r[i] for r in ref_streams]).score
                                        for i, h in enumerate(hyps)]
                cases.append(case)
            print(f'{name} refs={len(refs)}: {len(cases)} cases', file=sys.stderr)
    write_tokenizer_cases(names)
    write_paired_cases()
    with open(os.path.join(HERE, 'expected.jsonl'), 'w', encoding='utf-8') as f:
        f.write(json.dumps({'sacrebleu_version': sacrebleu.__version__,
                            'python': sys.version.split()[0]}) + '\n')
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + '\n')


if __name__ == '__main__':
    main()
