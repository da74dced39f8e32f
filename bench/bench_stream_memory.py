"""Peak RSS of counting a large file, by path and by stdin, at several sizes (issue 13/8).

    python bench/bench_stream_memory.py [--src PATH ...] [--sizes 20 200] [--routes path stdin lib-stdin]

Each measurement is a fresh process (``tokencost count FILE`` / ``tokencost count - < FILE`` /
``count_stream(tok, sys.stdin.buffer)``) run under a small wrapper that reports the child's
peak RSS from ``resource.getrusage(RUSAGE_CHILDREN)``.  The goal: flat in input size (20, 200
and 600 MB within 30 MB of each other) on every route.  The input is mixed-script text from
bench_tokenizers.mixed_text, written to /tmp and deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from _common import PY, ROOT, emit, env_for

WRAPPER = r"""
import resource, subprocess, sys
stdin = open(sys.argv[1], "rb") if sys.argv[1] != "-" else None
subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
LIB_STDIN = "import sys; from tokencost.tokenizers import count_stream; print(count_stream('o200k_base', sys.stdin.buffer))"


def write_input(path: Path, mb: int) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_tokenizers import mixed_text

    block = mixed_text(4_000_000).encode("utf-8")
    with open(path, "wb") as f:
        for _ in range(-(-mb * 1_000_000 // len(block))):  # whole blocks: never cut a character
            f.write(block)


def peak_mb(src: Path, route: str, path: Path, cache: str) -> float:
    env = env_for(src, cache)
    if route == "path":
        cmd, stdin = [PY, "-m", "tokencost", "count", str(path), "-m", "openai:gpt-4o"], "-"
    elif route == "stdin":
        cmd, stdin = [PY, "-m", "tokencost", "count", "-", "-m", "openai:gpt-4o"], str(path)
    else:
        cmd, stdin = [PY, "-c", LIB_STDIN], str(path)
    out = subprocess.run([PY, "-c", WRAPPER, stdin, *cmd], env=env, cwd=src, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, action="append")
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 200])
    ap.add_argument("--routes", nargs="+", default=["path", "stdin", "lib-stdin"])
    args = ap.parse_args()
    srcs = args.src or [ROOT]
    with tempfile.TemporaryDirectory(prefix="tokencost-bench-mem-", dir="/tmp") as work:
        cache = os.path.join(work, "cache")
        for mb in args.sizes:
            path = Path(work) / f"input-{mb}mb.txt"
            write_input(path, mb)
            for src in srcs:
                for route in args.routes:
                    if route == "lib-stdin" and not (src / "tokencost" / "tokenizers" / "_stream.py").exists():
                        continue
                    emit(f"peak_rss_mb[{route},{mb}MB,{src}]", f"{peak_mb(src, route, path, cache + src.name):.0f}")
            path.unlink()


if __name__ == "__main__":
    main()
