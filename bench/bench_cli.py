"""Whole-process start-up of `tokencost estimate`, against `genai-prices calc` in the same run.

    python bench/bench_cli.py [--runs 7]

Needs `pip install 'genai-prices[cli]'` for the reference (it multiplies given token counts and
tokenizes nothing).  Reports the median wall time of each command over --runs runs:
  * cold: a fresh, empty vocabulary cache (the first run on a machine);
  * warm: the parsed vocabularies cached (every later run).
The ratios against genai-prices in the same run are what to compare from run to run.  Bytecode
caching is on (PYTHONDONTWRITEBYTECODE is dropped), as it is after a normal ``pip install``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ROOT / "examples" / "prompt.txt"
BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return elapsed


def median_time(cmd: list[str], runs: int, cold: bool) -> float:
    times = []
    for _ in range(runs):
        cache = tempfile.mkdtemp(prefix="tokencost-bench-")
        env = {**os.environ, "TOKENCOST_CACHE_DIR": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as after a normal pip install
        if not cold:
            timed(cmd, env)  # fill the cache
        times.append(timed(cmd, env))
        shutil.rmtree(cache, ignore_errors=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    tokencost = str(BIN / "tokencost")
    genai = shutil.which("genai-prices", path=str(BIN)) or shutil.which("genai-prices")
    cases = [
        ("tokencost estimate -m openai:gpt-4o", [tokencost, "estimate", str(PROMPT), "-m", "openai:gpt-4o",
                                                  "--response-tokens", "300"]),
        ("tokencost estimate (default set, all providers)", [tokencost, "estimate", str(PROMPT),
                                                             "--response-tokens", "300"]),
    ]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs")
    warmup = {**os.environ}
    warmup.pop("PYTHONDONTWRITEBYTECODE", None)
    for _, cmd in cases:  # compile bytecode once so no timed run pays for it
        timed(cmd, warmup)
    ref = None
    if genai:
        ref = median_time([genai, "calc", "openai:gpt-4o", "-i", "216", "-o", "300"], args.runs, cold=False)
        print(f"{'genai-prices calc openai:gpt-4o (reference)':52} {ref:7.3f} s   1.00x")
    else:
        print("genai-prices not installed: pip install 'genai-prices[cli]' for the reference")
    for label, cmd in cases:
        for cold in (True, False):
            t = median_time(cmd, args.runs, cold)
            ratio = f"{t / ref:5.2f}x" if ref else ""
            print(f"{label + (' cold' if cold else ' warm'):52} {t:7.3f} s   {ratio}")


if __name__ == "__main__":
    main()
