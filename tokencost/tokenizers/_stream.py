"""Counting a file of any size in bounded memory, exactly.

The text is read in chunks of about ``chunk_chars`` characters.  Each time the buffer is
full it is cut at the last point where cutting provably leaves the count unchanged
(``_cut.safe_cut``); the part before the cut is counted, the part after it is carried
into the next chunk.  Memory is bounded by ``chunk_chars`` times the number of chunks
counted at once (one per core) plus the longest stretch without any safe cut point
(e.g. a run of a million spaces, which tiktoken would need in memory anyway).
"""

from __future__ import annotations

import codecs
import io
import math
import os
from collections.abc import Iterator
from typing import IO, Union

from ..errors import BadInputError
from ._cut import find_cut

Source = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]

DEFAULT_CHUNK_CHARS = 1 << 20


def iter_text(source: Source, chunk_chars: int = DEFAULT_CHUNK_CHARS, name: str | None = None) -> Iterator[str]:
    """Yield the text of ``source`` (a path or an open binary/text file) in pieces.

    Bytes are decoded as strict UTF-8; a bad byte raises BadInputError naming its offset.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            f = open(path, "rb")
        except OSError as exc:
            raise BadInputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
        with f:
            yield from iter_text(f, chunk_chars, name=path)
        return
    label = name or getattr(source, "name", None) or "input"
    first = source.read(chunk_chars)
    if isinstance(first, str):
        data = first
        while data:
            yield data
            data = source.read(chunk_chars)
        return
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    consumed = 0  # bytes handed to the decoder so far
    data = first
    while True:
        final = not data
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            offset = consumed - pending + exc.start
            raise BadInputError(
                f"{label} is not valid UTF-8: byte {offset} (0x{exc.object[exc.start]:02x}) cannot be decoded; "
                "convert the file to UTF-8 first"
            ) from None
        consumed += len(data)
        if text:
            yield text
        if final:
            return
        data = source.read(chunk_chars)


def count_stream(tokenizer, source: Source, chunk_chars: int = DEFAULT_CHUNK_CHARS, *, workers: int | None = None) -> int:
    """Count the tokens of a file of any size; equals ``tokenizer.count(whole_text)`` exactly.

    ``tokenizer`` is a Tokenizer or a tokenizer name; ``source`` a path or an open file
    (binary files are decoded as UTF-8; text files are read as they are).
    """
    from . import ApproxTokenizer, get_tokenizer

    tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
    if chunk_chars < 1:
        raise BadInputError(f"chunk_chars must be at least 1, got {chunk_chars!r}")
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    if isinstance(tok, ApproxTokenizer) and tok.inner is None:
        chars = sum(len(piece) for piece in iter_text(source, chunk_chars))
        return math.ceil(chars / tok.chars_per_token)
    exact = tok.inner if isinstance(tok, ApproxTokenizer) else tok
    if not hasattr(exact, "nfc"):
        # A tokenizer without tiktoken's pre-tokenizer: no safe cut is known, count whole.
        return exact.count("".join(iter_text(source, chunk_chars)))
    nfc = exact.nfc
    batch_size = max(1, workers or os.cpu_count() or 1)
    pending: list[str] = []
    total = 0
    buf = ""
    scanned = 0  # positions below this were already found unsafe
    for piece in iter_text(source, chunk_chars):
        buf = buf + piece if buf else piece
        if len(buf) < chunk_chars:
            continue
        p = find_cut(buf, scanned, len(buf), nfc)
        if p is None:
            scanned = len(buf)
            continue
        pending.append(buf[:p])
        buf = buf[p:]
        scanned = len(buf)
        if len(pending) >= batch_size:
            total += sum(exact.count_batch(pending)) if batch_size > 1 else exact.count(pending[0])
            pending = []
    if buf:
        pending.append(buf)
    if pending:
        total += sum(exact.count_batch(pending)) if len(pending) > 1 else exact.count(pending[0])
    return total
