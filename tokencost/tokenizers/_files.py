"""Counting many prompts at once: directories, JSONL files, OpenAI Batch API input files."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError

#: Files larger than this are streamed (bounded memory) instead of read whole.
STREAM_ABOVE_BYTES = 16 << 20
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class FileCount:
    """The tokens of one file, or of one line of a JSONL file."""

    path: str
    line: int | None  # 1-based line of a JSONL file; None for a whole text file
    custom_id: str | None  # OpenAI Batch API custom_id, when the line has one
    kind: str  # "text" | "prompt" | "messages" | "empty"
    tokens: int
    exact: bool
    uncounted_parts: tuple[str, ...] = ()


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
        elif path.is_file():
            out.append(path)
        else:
            raise BadInputError(f"no such file or directory: {str(path)!r}")
    return out


def _progress(total: int, enabled: bool | None, desc: str):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # progress is a nicety, never a requirement
        return None
    return tqdm(total=total, desc=desc, unit="item", file=sys.stderr, leave=False)


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{str(path)!r} is not valid UTF-8: byte {exc.start} (0x{data[exc.start]:02x}) cannot be decoded"
        ) from None


def _records(path: Path) -> Iterator[tuple[int, object]]:
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            line = _decode(raw, path).strip()
            if not line:
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{path}:{n}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def _classify(obj: object) -> tuple[str, object, str | None]:
    """(kind, payload, custom_id) for one JSONL record."""
    custom_id = None
    if isinstance(obj, dict) and isinstance(obj.get("body"), dict):
        custom_id = obj.get("custom_id") if isinstance(obj.get("custom_id"), str) else None
        obj = obj["body"]
    if isinstance(obj, str):
        return "prompt", [obj], custom_id
    if isinstance(obj, dict):
        if isinstance(obj.get("messages"), list):
            return "messages", obj["messages"], custom_id
        inp = obj.get("input")
        if isinstance(inp, list) and inp and all(isinstance(m, dict) and "role" in m for m in inp):
            return "messages", inp, custom_id
        for key in ("prompt", "input", "text", "content"):
            val = obj.get(key)
            if isinstance(val, str):
                return "prompt", [val], custom_id
            if isinstance(val, list) and val and all(isinstance(v, str) for v in val):
                return "prompt", val, custom_id  # several prompts in one request: summed
    return "empty", None, custom_id


def count_files(
    tokenizer,
    paths,
    workers: int | None = None,
    progress: bool | None = None,
    *,
    image_rule: str | None = None,
) -> list[FileCount]:
    """Count every prompt in ``paths`` (files, directories, JSONL, OpenAI Batch API input).

    Text files give one result each.  ``.jsonl``/``.ndjson`` files give one result per
    line: a Batch API line (``{"custom_id", "method", "url", "body": {...}}``) or a bare
    request is counted through its ``messages`` (chat framing included, see
    ``tokencost.messages``) or its ``prompt``/``input``/``text``; a line that is a JSON
    string is a prompt.  Work is spread over ``workers`` threads (default: all cores);
    a tqdm progress bar appears on stderr when it is a terminal (``progress=None``).
    """
    from . import Tokenizer, get_tokenizer
    from ._stream import count_stream

    tok = tokenizer if isinstance(tokenizer, Tokenizer) else get_tokenizer(tokenizer)
    workers = max(1, workers or os.cpu_count() or 1)
    files = _expand(paths)
    results: list[FileCount] = []
    bar = _progress(len(files), progress, "files")
    try:
        small: list[tuple[Path, str]] = []

        def flush_small() -> None:
            if not small:
                return
            counts = tok.count_batch([t for _, t in small])
            results.extend(FileCount(str(p), None, None, "text", c, tok.exact) for (p, _), c in zip(small, counts))
            small.clear()

        for path in files:
            if path.suffix.lower() in JSONL_SUFFIXES:
                flush_small()
                results.extend(_count_jsonl(tok, path, workers, progress, image_rule))
            elif path.stat().st_size > STREAM_ABOVE_BYTES:
                flush_small()
                n = count_stream(tok, path, workers=workers)
                results.append(FileCount(str(path), None, None, "text", n, tok.exact))
            else:
                small.append((path, _decode(path.read_bytes(), path)))
                if sum(len(t) for _, t in small) > STREAM_ABOVE_BYTES:
                    flush_small()
            if bar is not None:
                bar.update(1)
        flush_small()
    finally:
        if bar is not None:
            bar.close()
    return results


def _count_jsonl(tok, path: Path, workers: int, progress: bool | None, image_rule: str | None) -> list[FileCount]:
    from ..messages import count_messages

    items = [(n, *_classify(obj)) for n, obj in _records(path)]
    out: dict[int, FileCount] = {}
    prompts = [(n, payload, cid) for n, kind, payload, cid in items if kind == "prompt"]
    if prompts:
        counts = iter(tok.count_batch([t for _, texts, _ in prompts for t in texts]))
        for n, texts, cid in prompts:
            c = sum(next(counts) for _ in texts)
            out[n] = FileCount(str(path), n, cid, "prompt", c, tok.exact)
    for n, kind, _, cid in items:
        if kind == "empty":
            out[n] = FileCount(str(path), n, cid, "empty", 0, False, ("no messages, prompt, input or text field",))
    chats = [(n, payload, cid) for n, kind, payload, cid in items if kind == "messages"]
    bar = _progress(len(chats), progress, path.name) if chats else None

    def one(item):
        n, msgs, cid = item
        try:
            mc = count_messages(msgs, tok.name, image_rule=image_rule)
        except BadInputError as exc:
            raise BadInputError(f"{path}:{n}: {exc}") from None
        return FileCount(str(path), n, cid, "messages", mc.tokens, mc.exact, mc.uncounted_parts)

    try:
        if chats:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for fc in pool.map(one, chats) if workers > 1 else map(one, chats):
                    out[fc.line] = fc  # type: ignore[index]
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return [out[n] for n, *_ in items]
