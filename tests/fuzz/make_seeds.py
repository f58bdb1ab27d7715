#!/usr/bin/env python3
"""Seed inputs for one libFuzzer harness, made from committed test data (never written into
the source tree): usage make_seeds.py NAME OUTDIR. Existing files in OUTDIR are kept, so the
corpus a fuzzer grew survives; seeds are named seed-* and rewritten each time."""
import glob
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def rel(*parts):
    return os.path.join(ROOT, *parts)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def lines(path, limit):
    with open(path, "rb") as f:
        return [l.rstrip(b"\n") for l in f.read().split(b"\n")[:limit]]


def mo_reader():
    seeds = [read(p) for p in sorted(glob.glob(rel("tests/data/corpus/catalogs/*/LC_MESSAGES/*.mo")))]
    # The committed .po files compiled in both byte orders, when msgfmt is installed.
    with tempfile.TemporaryDirectory() as tmp:
        for po in sorted(glob.glob(rel("tests/data/corpus/po/*.po"))):
            for endian in ("little", "big"):
                out = os.path.join(tmp, "x.mo")
                try:
                    subprocess.run(["msgfmt", f"--endianness={endian}", "-o", out, po], check=True,
                                   stderr=subprocess.DEVNULL)
                    seeds.append(read(out))
                except (OSError, subprocess.CalledProcessError):
                    pass
    return seeds


def plural_forms():
    seeds = []
    for po in sorted(glob.glob(rel("tests/data/corpus/po/*.po"))):
        text = read(po).decode("utf-8")
        # The header value may continue over several quoted lines.
        m = re.search(r'"Plural-Forms: ((?:[^"\\]|\\.)*)"((?:\s*"(?:[^"\\]|\\.)*")*)', text)
        if m:
            value = m.group(1) + "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
            seeds.append(value.replace("\\n", "").encode())
    # The formulas of the unit tests (Arabic: 6 forms, nested ?:).
    src = read(rel("tests/corpus/plural_forms_test.cc")).decode("utf-8")
    for m in re.finditer(r'"(nplurals=[^"]*)"(\s*"[^"]*")*', src):
        seeds.append((m.group(0).replace('"', "").replace("\n", "")).encode())
    return seeds


def safetensors():
    def image(header, body=b""):
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + body

    f32 = struct.pack("<6f", 1.5, -2, 3, 4, 5, 6)
    i32 = struct.pack("<2i", 7, 8)
    return [
        image({"enc.w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
               "ids": {"dtype": "I32", "shape": [2], "data_offsets": [24, 32]},
               "__metadata__": {"format": "pt", "moemt.checksum": "0123456789abcdef"}}, f32 + i32),
        image({"h": {"dtype": "BF16", "shape": [1, 2, 1, 2], "data_offsets": [0, 8]},
               "e": {"dtype": "F16", "shape": [0, 4], "data_offsets": [8, 8]}}, bytes(8)),
        image({"__metadata__": {}}),
    ]


def config():
    seeds = [read(p) for p in sorted(glob.glob(rel("examples/recipes/*.yaml")))]
    # The train: section of each recipe, as a -c config file holds it.
    for y in seeds[:]:
        m = re.search(rb"^train:.*\n((?:[ \t]+.*\n|\s*\n)*)", y, re.M)
        if m:
            seeds.append(re.sub(rb"^  ", b"", m.group(1), flags=re.M))
    seeds.append(b"moe:\n  experts: 8\n  top-k: 2\nafter: 10Mt\ntrain-sets: [a.en, a.de]\n"
                 b"both-directions: true\ntied-embeddings-all: false\nseed: 7\n")
    return seeds


def tokenizer():
    seeds = []
    for p in sorted(glob.glob(rel("tests/data/score/*.txt"))) + \
            sorted(glob.glob(rel("corpora/sample/dev/*"))) + \
            [rel("tests/data/fixtures/tiny.zho_Hans"), rel("tests/data/fixtures/utf8_cases.tsv")]:
        seeds += [l for l in lines(p, 12) if l]
    return seeds


def ter():
    seeds = []
    for hyp in sorted(glob.glob(rel("tests/data/score/*.hyp.txt"))):
        ref = hyp.replace(".hyp.txt", ".ref.txt")
        ref2 = hyp.replace(".hyp.txt", ".ref2.txt")
        if not os.path.exists(ref):
            continue
        h, r = lines(hyp, 6), lines(ref, 6)
        r2 = lines(ref2, 6) if os.path.exists(ref2) else [b""] * 6
        for i, (a, b, c) in enumerate(zip(h, r, r2)):
            seed = bytes([i % 16]) + a + b"\n" + b + (b"\n" + c if i % 2 else b"")
            # TER's shift search takes a second on 10 kB lines under ASan; short ones let
            # the fuzzer try thousands of inputs instead (fuzz.sh caps ter at 1 kB).
            if len(seed) <= 1024:
                seeds.append(seed)
    return seeds


def main():
    name, out = sys.argv[1], sys.argv[2]
    seeds = globals()[name]()
    if not seeds:
        sys.exit(f"make_seeds.py: no seeds for {name} (is the test data checked out?)")
    os.makedirs(out, exist_ok=True)
    for s in seeds:
        with open(os.path.join(out, "seed-" + hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)


if __name__ == "__main__":
    main()
