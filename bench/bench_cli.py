"""Whole-process start-up of `tokencost estimate`, against `genai-prices calc` in the same run.

    python bench/bench_cli.py [--runs 9] [--src PATH ...]

Needs `pip install 'genai-prices[cli]'` for the reference (it multiplies given token counts and
tokenizes nothing).  Each case runs in three states:
  * first run: an empty cache directory (nothing parsed yet: price files nor vocabularies);
  * cold vocabularies: price files parsed, no vocabulary cached (the issue's "cold");
  * warm: everything cached (every later run).
This machine's speed drifts from second to second, so each round times the reference and then every
case back to back, and the ratio reported is the median of the rounds' ratios.  Bytecode caching is
on (PYTHONDONTWRITEBYTECODE is dropped), as it is after a normal ``pip install``.  ``--src`` runs the
cases with another checkout first on PYTHONPATH (e.g. the code before a change), in the same rounds.
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


def one_run(cmd: list[str], cache: str, src: Path | None = None) -> float:
    """Wall time of ``cmd`` with ``cache`` as its cache directory (what it holds decides cold or warm)."""
    env = {**os.environ, "TOKENCOST_CACHE_DIR": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as after a normal pip install
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return timed(cmd, env)


def vocab_files(cache: str) -> list[Path]:
    return [p for p in Path(cache).iterdir() if p.name.startswith("ranks-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--src", type=Path, action="append", help="another checkout to time in the same rounds")
    args = parser.parse_args()
    sources: list[Path | None] = [*args.src, None] if args.src else [None]

    tokencost = str(BIN / "tokencost")
    genai = shutil.which("genai-prices", path=str(BIN)) or shutil.which("genai-prices")
    if not genai:
        raise SystemExit("genai-prices not installed: pip install 'genai-prices[cli]' for the reference")
    reference = [genai, "calc", "openai:gpt-4o", "-i", "216", "-o", "300"]
    cases = [
        ("estimate -m openai:gpt-4o", [tokencost, "estimate", str(PROMPT), "-m", "openai:gpt-4o",
                                       "--response-tokens", "300"]),
        ("estimate, all providers", [tokencost, "estimate", str(PROMPT), "--response-tokens", "300"]),
    ]
    states = ("first run", "cold vocabularies", "warm")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} rounds: each round times the "
          "reference\nand every case back to back; a ratio is the median of the rounds' ratios")
    warmup = {**os.environ}
    warmup.pop("PYTHONDONTWRITEBYTECODE", None)
    for _, cmd in cases:  # compile bytecode once so no timed run pays for it
        for src in sources:
            timed(cmd, {**warmup, **({"PYTHONPATH": str(src)} if src else {})})
    times: dict[tuple[str, str, str], list[float]] = {}
    ratios: dict[tuple[str, str, str], list[float]] = {}
    refs: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tokencost-bench-") as ref_cache:
            one_run(reference, ref_cache)  # genai-prices keeps no cache; this only warms the OS
            ref = one_run(reference, ref_cache)
        refs.append(ref)
        for label, cmd in cases:
            for state in states:
                for src in sources:
                    cache = tempfile.mkdtemp(prefix="tokencost-bench-")
                    if state != "first run":
                        one_run(cmd, cache, src)  # fill the cache: parsed price files and vocabularies
                        if state == "cold vocabularies":
                            for path in vocab_files(cache):
                                path.unlink()
                    t = one_run(cmd, cache, src)
                    shutil.rmtree(cache, ignore_errors=True)
                    key = (label, state, str(src) if src else "this checkout")
                    times.setdefault(key, []).append(t)
                    ratios.setdefault(key, []).append(t / ref)
    print(f"{'genai-prices calc openai:gpt-4o (reference)':58} {statistics.median(refs):7.3f} s   1.00x")
    for key in times:
        label, state, src = key
        where = f"  [{src}]" if args.src else ""
        print(f"{'tokencost ' + label + ', ' + state:58} {statistics.median(times[key]):7.3f} s "
              f"{statistics.median(ratios[key]):6.2f}x{where}")


if __name__ == "__main__":
    main()
