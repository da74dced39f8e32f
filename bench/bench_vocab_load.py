"""Vocabulary load time in a fresh process, cold (empty cache) and warm (cache filled), per tokenizer.

    python bench/bench_vocab_load.py [--src PATH ...] [--repeat 3]

Each figure is the wall time of ``get_tokenizer(name).count("x")`` inside a new interpreter
(import excluded), best of ``--repeat``; "all" loads every exact tokenizer in one process, one
after another, and "all-preload" with ``tokenizers.preload`` (on every core; skipped for a source
that has no ``preload``).
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
if sys.argv[2] == "preload":
    tk.preload(names)  # every core at once (issue 13)
for n in names:
    tk.get_tokenizer(n).count("x")
print(time.perf_counter() - t)
"""
EXACT = ["o200k_base", "cl100k_base", "llama3", "llama4", "mistral", "qwen"]


def once(src: Path, names: list[str], cache: str, how: str = "serial") -> float:
    out = subprocess.run([PY, "-c", CODE, ",".join(names), how], env=env_for(src, cache), cwd=src,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def has_preload(src: Path) -> bool:
    return "def preload(" in (src / "tokencost" / "tokenizers" / "_core.py").read_text()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tokencost-bench-vocab-"))
    try:
        for src in args.src or [ROOT]:
            runs = [(n, [n], "serial") for n in EXACT] + [("all", EXACT, "serial")]
            if has_preload(src):
                runs.append(("all-preload", EXACT, "preload"))
            for label, names, how in runs:
                cold = []
                for i in range(args.repeat):
                    cache = str(work / f"cold-{src.name}-{label}-{i}")
                    cold.append(once(src, names, cache, how))
                    shutil.rmtree(cache, ignore_errors=True)
                warm_cache = str(work / f"warm-{src.name}")
                once(src, names, warm_cache, how)
                warm = min(once(src, names, warm_cache, how) for _ in range(args.repeat))
                emit(f"load_{label}_cold_s[{src}]", f"{min(cold):.3f}")
                emit(f"load_{label}_warm_s[{src}]", f"{warm:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
