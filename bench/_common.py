"""Shared helpers for the benchmarks: run tokencost from a given source tree in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env_for(src: Path, cache: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(src), **extra)
    if cache:
        env["TOKENCOST_CACHE_DIR"] = cache
    return env


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None, stdin=None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def emit(key: str, value) -> None:
    print(f"{key}: {value}", flush=True)


PY = sys.executable
