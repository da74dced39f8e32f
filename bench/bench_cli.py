"""Whole-process start-up of `tokencost estimate`, against `genai-prices calc` in the same run.

    python bench/bench_cli.py [--runs 9]

Needs `pip install 'genai-prices[cli]'` for the reference (it multiplies given token counts and
tokenizes nothing).  Each case runs in three states:
  * first run: an empty cache directory (nothing parsed yet: price files nor vocabularies);
  * cold vocabularies: price files parsed, no vocabulary cached (the issue's "cold");
  * warm: everything cached (every later run).
This machine's speed drifts from second to second, so each round times the reference and then every
case back to back, and the ratio reported is the median of the rounds' ratios.  Bytecode caching is
on (PYTHONDONTWRITEBYTECODE is dropped), as it is after a normal ``pip install``.
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


def one_run(cmd: list[str], cache: str) -> float:
    """Wall time of ``cmd`` with ``cache`` as its cache directory (what it holds decides cold or warm)."""
    env = {**os.environ, "TOKENCOST_CACHE_DIR": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as after a normal pip install
    return timed(cmd, env)


def vocab_files(cache: str) -> list[Path]:
    return [p for p in Path(cache).iterdir() if p.name.startswith("ranks-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    tokencost = str(BIN / "tokencost")
    genai = shutil.which("genai-prices", path=str(BIN)) or shutil.which("genai-prices")
    if not genai:
        raise SystemExit("genai-prices not installed: pip install 'genai-prices[cli]' for the reference")
    reference = [genai, "calc", "openai:gpt-4o", "-i", "216", "-o", "300"]
    cases = [
        ("estimate -m openai:gpt-4o", [tokencost, "estimate", str(PROMPT), "-m", "openai:gpt-4o",
                                       "--response-tokens", "300"]),
        ("estimate (default set, all providers)", [tokencost, "estimate", str(PROMPT), "--response-tokens", "300"]),
    ]
    states = ("first run", "cold vocabularies", "warm")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} rounds; each round times the "
          "reference and every case back to back, and the ratio is the median of the rounds' ratios")
    warmup = {**os.environ}
    warmup.pop("PYTHONDONTWRITEBYTECODE", None)
    for _, cmd in cases:  # compile bytecode once so no timed run pays for it
        timed(cmd, warmup)
    times: dict[tuple[str, str], list[float]] = {}
    ratios: dict[tuple[str, str], list[float]] = {}
    refs: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tokencost-bench-") as ref_cache:
            one_run(reference, ref_cache)  # genai-prices keeps no cache; this only warms the OS
            ref = one_run(reference, ref_cache)
        refs.append(ref)
        for label, cmd in cases:
            for state in states:
                cache = tempfile.mkdtemp(prefix="tokencost-bench-")
                if state != "first run":
                    one_run(cmd, cache)  # fill the cache: parsed price files and vocabularies
                    if state == "cold vocabularies":
                        for path in vocab_files(cache):
                            path.unlink()
                t = one_run(cmd, cache)
                shutil.rmtree(cache, ignore_errors=True)
                times.setdefault((label, state), []).append(t)
                ratios.setdefault((label, state), []).append(t / ref)
    print(f"{'genai-prices calc openai:gpt-4o (reference)':58} {statistics.median(refs):7.3f} s   1.00x")
    for label, _ in cases:
        for state in states:
            key = (label, state)
            print(f"{'tokencost ' + label + ', ' + state:58} {statistics.median(times[key]):7.3f} s "
                  f"{statistics.median(ratios[key]):6.2f}x")


if __name__ == "__main__":
    main()
