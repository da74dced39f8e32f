"""Where usage comes from: files, folders, globs or ``-``; gzip or not; which export format.

The format is detected from the content (the first record, or a CSV header), never from a
file name alone.  JSON Lines are read one line at a time, so a file never has to fit in memory.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import BadInputError

FORMATS = (
    "canonical",
    "openai-usage",
    "openai-batch",
    "anthropic-usage",
    "anthropic-cost",
    "litellm-spend",
    "otel",
    "claude-code",
)
#: Not a usage format: an OpenAI Batch *input* file (the prompts sent), detected among the sources.
BATCH_INPUT = "openai-batch-input"
USAGE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".parquet", ".gz")
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class Source:
    """One input: a path (``"-"`` for stdin) and its container kind."""

    name: str
    path: Path | None  # None for stdin

    def open_bytes(self) -> IO[bytes]:
        raw: IO[bytes] = sys.stdin.buffer if self.path is None else open(self.path, "rb")  # noqa: SIM115 - caller closes
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        if head == b"\x1f\x8b":
            return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        return raw

    def open_text(self) -> IO[str]:
        return io.TextIOWrapper(self.open_bytes(), encoding="utf-8-sig", newline="")

    @property
    def is_gzip(self) -> bool:
        if self.path is None:
            return False
        with open(self.path, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"

    @property
    def is_parquet(self) -> bool:
        if self.path is None:
            return False
        with open(self.path, "rb") as fh:
            return fh.read(4) == PARQUET_MAGIC


def expand(sources: list[str] | tuple[str, ...] | str) -> list[Source]:
    """Files, folders (their usage files, recursively, sorted), globs and ``-``, in order given."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    out: list[Source] = []
    for item in sources:
        text = str(item)
        if text == "-":
            out.append(Source("<stdin>", _spool_stdin()))
            continue
        path = Path(text).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(USAGE_SUFFIXES))
            out.extend(Source(str(p), p) for p in files)
        elif path.is_file():
            out.append(Source(str(path), path))
        elif any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            if not matches:
                raise BadInputError(f"no file matches {text!r}; check the pattern")
            out.extend(Source(m, Path(m)) for m in matches if Path(m).is_file())
        else:
            raise BadInputError(f"usage file {text!r} does not exist; give a file, folder, glob or '-'")
    if not out:
        raise BadInputError("no usage files found in the sources given")
    return out


def _spool_stdin() -> Path:
    """Standard input copied once to a temporary file, so it can be sniffed and then read."""
    import shutil
    import tempfile

    fd, name = tempfile.mkstemp(prefix="tokencost-stdin-")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    import atexit

    atexit.register(lambda: Path(name).unlink(missing_ok=True))
    return Path(name)


def detect_record(rec: Any) -> str:
    """The export format a first JSON record belongs to."""
    if isinstance(rec, list):
        return detect_record(rec[0]) if rec else "canonical"
    if not isinstance(rec, dict):
        return "canonical"
    if "resourceSpans" in rec:
        return "otel"
    if rec.get("object") in ("page", "bucket") or str(rec.get("object", "")).startswith("organization.usage"):
        return "openai-usage"
    if "custom_id" in rec and ("response" in rec or "error" in rec):
        return "openai-batch"
    if "custom_id" in rec and isinstance(rec.get("body"), dict):
        return BATCH_INPUT  # the requests' text, no usage: used to recount prompts for what-ifs
    if "sessionId" in rec or "parentUuid" in rec or (isinstance(rec.get("message"), dict) and "requestId" in rec):
        return "claude-code"
    if "request_id" in rec and ("spend" in rec or "startTime" in rec):
        return "litellm-spend"
    data = rec.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict) and "starting_at" in data[0]:
        results = [r for b in data for r in b.get("results", [])]
        if results and "amount" in results[0]:
            return "anthropic-cost"
        return "anthropic-usage"
    if "starting_at" in rec and "results" in rec:
        results = rec.get("results") or [{}]
        return "anthropic-cost" if "amount" in results[0] else "anthropic-usage"
    return "canonical"


def detect(source: Source) -> tuple[str, str]:
    """``(format, container)`` of a source; container is ``parquet``, ``csv``, ``json`` or ``jsonl``."""
    if source.is_parquet:
        return "canonical", "parquet"
    with source.open_text() as fh:
        head = fh.read(1 << 16)
    stripped = head.lstrip()
    if not stripped:
        return "canonical", "jsonl"
    if stripped[0] in "{[":
        first_line = stripped.split("\n", 1)[0]
        try:
            rec = json.loads(first_line)
            container = (
                "json" if isinstance(rec, list) or ("\n" not in stripped.rstrip() and _is_page(rec)) else "jsonl"
            )
        except json.JSONDecodeError:
            try:
                with source.open_text() as fh:
                    rec = json.load(fh)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise BadInputError(f"{source.name}: not valid JSON or JSON Lines ({exc})") from None
            container = "json"
        return detect_record(rec), container
    header = next(csv.reader(io.StringIO(stripped.split("\n", 1)[0])), [])
    names = {h.strip() for h in header}
    if {"spend", "startTime"} <= names or {"spend", "prompt_tokens"} <= names:
        return "litellm-spend", "csv"
    return "canonical", "csv"


def _is_page(rec: Any) -> bool:
    return isinstance(rec, dict) and isinstance(rec.get("data"), list)


def records(source: Source, container: str) -> Iterator[tuple[int, Any]]:
    """``(line number, record)`` pairs; a JSON document is one record at line 1."""
    if container == "json":
        with source.open_text() as fh:
            try:
                doc = json.load(fh)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{source.name}: not valid JSON ({exc})") from None
        if isinstance(doc, list):
            for i, rec in enumerate(doc, 1):
                yield i, rec
        else:
            yield 1, doc
    elif container == "jsonl":
        with source.open_text() as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield number, json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield number, _BadLine(f"not valid JSON: {exc.msg}")
    elif container == "csv":
        with source.open_text() as fh:
            reader = csv.DictReader(fh)
            for rec in reader:
                yield reader.line_num, rec
    else:
        raise BadInputError(f"{source.name}: cannot read {container} here")


@dataclass(frozen=True)
class _BadLine:
    reason: str


BadLine = _BadLine
