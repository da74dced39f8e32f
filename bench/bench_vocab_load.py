"""Vocabulary load time in a fresh process, cold (empty cache) and warm (cache filled), per tokenizer.

    python bench/bench_vocab_load.py [--src PATH ...] [--repeat 3]

Each figure is the wall time of ``get_tokenizer(name).count("x")`` inside a new interpreter
(import excluded), best of ``--repeat``; "all" loads every exact tokenizer in one process.
Warm loads should not re-read and re-hash the source file (issue 13).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from _common import PY, ROOT, emit, env_for

CODE = r"""
import sys, time
import tokencost.tokenizers as tk
names = sys.argv[1].split(",")
t = time.perf_counter()
for n in names:
    tk.get_tokenizer(n).count("x")
print(time.perf_counter() - t)
"""
EXACT = ["o200k_base", "cl100k_base", "llama3", "llama4", "mistral", "qwen"]


def once(src: Path, names: list[str], cache: str) -> float:
    out = subprocess.run([PY, "-c", CODE, ",".join(names)], env=env_for(src, cache), cwd=src,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tokencost-bench-vocab-"))
    try:
        for src in args.src or [ROOT]:
            for names in [[n] for n in EXACT] + [EXACT]:
                label = names[0] if len(names) == 1 else "all"
                cold = []
                for i in range(args.repeat):
                    cache = str(work / f"cold-{src.name}-{label}-{i}")
                    cold.append(once(src, names, cache))
                    shutil.rmtree(cache, ignore_errors=True)
                warm_cache = str(work / f"warm-{src.name}")
                once(src, names, warm_cache)
                warm = min(once(src, names, warm_cache) for _ in range(args.repeat))
                emit(f"load_{label}_cold_s[{src}]", f"{min(cold):.3f}")
                emit(f"load_{label}_warm_s[{src}]", f"{warm:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
