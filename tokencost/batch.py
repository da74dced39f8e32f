"""Counting many prompts at once: files, folders, JSONL files, OpenAI Batch API input files.

Text files give one count each (large ones streamed in flat memory); ``.jsonl``/``.ndjson``
files give one count per line.  A line with nothing to count is an error naming the file
and line (a silent 0 would under-price), unless the caller asks to skip such lines.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInputError
from .messages import count_messages
from .tokenizers import Tokenizer, count_stream, get_tokenizer

__all__ = ["FileCount", "count_files", "JSONL_SUFFIXES"]

#: Files larger than this are streamed (bounded memory) instead of read whole.
STREAM_ABOVE_BYTES = 16 << 20
#: Small files are counted in batches of about this many characters.
BATCH_CHARS = 16 << 20
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_NOTHING_TO_COUNT = "no messages, prompt, input or text field"


@dataclass(frozen=True)
class FileCount:
    """The tokens of one file, or of one line of a JSONL file."""

    path: str
    line: int | None  # 1-based line of a JSONL file; None for a whole text file
    custom_id: str | None  # OpenAI Batch API custom_id, when the line has one
    kind: str  # "text" | "prompt" | "messages" | "empty" (only when skipping empty lines was asked for)
    tokens: int
    exact: bool
    uncounted_parts: tuple[str, ...] = ()


def _expand(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> list[Path]:
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


def _progress(total: int, enabled: bool, desc: str):
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
    offset = 0  # byte offset of the current line in the file
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise BadInputError(
                    f"{path}:{n}: not valid UTF-8: byte {offset + exc.start} of the file "
                    f"(0x{raw[exc.start]:02x}, column {exc.start + 1} of the line) cannot be decoded; "
                    "convert the file to UTF-8 first"
                ) from None
            offset += len(raw)
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
    tokenizer: Tokenizer | str,
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    workers: int | None = None,
    progress: bool = False,
    *,
    image_rule: str | None = None,
    skip_empty: bool = False,
) -> list[FileCount]:
    """Count every prompt in ``paths`` (files, directories, JSONL, OpenAI Batch API input).

    Text files give one result each.  ``.jsonl``/``.ndjson`` files give one result per
    line: a Batch API line (``{"custom_id", "method", "url", "body": {...}}``) or a bare
    request is counted through its ``messages`` (chat framing included, see
    ``tokencost.messages``) or its ``prompt``/``input``/``text``; a line that is a JSON
    string is a prompt.  A line with none of these is a BadInputError naming the file and
    line, unless ``skip_empty`` (then it is a result of kind "empty", 0 tokens, not exact).
    Work is spread over ``workers`` threads (default: all cores).  ``progress=True`` shows a
    tqdm progress bar on stderr (if tqdm is installed); the library never shows one unasked.
    """
    tok = tokenizer if isinstance(tokenizer, Tokenizer) else get_tokenizer(tokenizer)
    workers = max(1, workers or os.cpu_count() or 1)
    files = _expand(paths)
    results: list[FileCount] = []
    bar = _progress(len(files), progress, "files")
    small: list[tuple[Path, str]] = []
    small_chars = 0  # a running total: summing ``small`` after every file made this O(n^2)

    def flush_small() -> None:
        nonlocal small_chars
        if not small:
            return
        counts = tok.count_batch([t for _, t in small])
        results.extend(FileCount(str(p), None, None, "text", c, tok.exact) for (p, _), c in zip(small, counts))
        small.clear()
        small_chars = 0

    try:
        for path in files:
            if path.suffix.lower() in JSONL_SUFFIXES:
                flush_small()
                results.extend(_count_jsonl(tok, path, workers, progress, image_rule, skip_empty))
            elif path.stat().st_size > STREAM_ABOVE_BYTES:
                flush_small()
                n = count_stream(tok, path, workers=workers)
                results.append(FileCount(str(path), None, None, "text", n, tok.exact))
            else:
                text = _decode(path.read_bytes(), path)
                small.append((path, text))
                small_chars += len(text)
                if small_chars > BATCH_CHARS:
                    flush_small()
            if bar is not None:
                bar.update(1)
        flush_small()
    finally:
        if bar is not None:
            bar.close()
    return results


def _count_jsonl(tok: Tokenizer, path: Path, workers: int, progress: bool, image_rule: str | None,
                 skip_empty: bool) -> list[FileCount]:
    items = [(n, *_classify(obj)) for n, obj in _records(path)]
    out: dict[int, FileCount] = {}
    for n, kind, _, cid in items:
        if kind == "empty":
            if not skip_empty:
                raise BadInputError(
                    f"{path}:{n}: nothing to count ({_NOTHING_TO_COUNT}); fix or remove the line, "
                    "or ask for such lines to be skipped"
                )
            out[n] = FileCount(str(path), n, cid, "empty", 0, False, (_NOTHING_TO_COUNT,))
    prompts = [(n, payload, cid) for n, kind, payload, cid in items if kind == "prompt"]
    if prompts:
        counts = iter(tok.count_batch([t for _, texts, _ in prompts for t in texts]))
        for n, texts, cid in prompts:
            c = sum(next(counts) for _ in texts)
            out[n] = FileCount(str(path), n, cid, "prompt", c, tok.exact)
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
