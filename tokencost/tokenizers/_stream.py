"""Counting a file or stream of any size in flat memory, exactly.

The bytes are read into one reused buffer and decoded in pieces of ``chunk_chars``.  Each
time the text gathered reaches ``chunk_chars`` it is cut at the last point where cutting
provably leaves the count unchanged (``_cut``); the part before the cut is queued for
counting, the part after it is carried into the next piece.  Queued parts are counted a
batch at a time on all cores.

Every buffer stays well below glibc's mmap threshold (128 KiB): a 16K-character piece is
at most 64 KiB as a Python string (128 KiB with the carry, for text holding characters
beyond U+FFFF) and its token buffer at most 64 KiB.  Allocating and dropping 1 MiB-scale
buffers instead raises glibc's adaptive threshold and fragments the heap, so memory then
grows with the input although nothing leaks.  Memory is flat in input size, except for a
stretch of text with no safe cut point at all (e.g. a million spaces), which is held whole.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator, Sequence
from typing import IO, Union

from ..errors import BadInputError
from ._core import ApproxTokenizer, TiktokenTokenizer, Tokenizer, get_tokenizer
from ._cut import find_cut

Source = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]

#: Characters per counted piece (and bytes per read): small enough for every buffer to stay
#: below the allocator's mmap threshold, large enough that per-call overhead is negligible.
DEFAULT_CHUNK_CHARS = 1 << 14
#: Pieces counted per batch, per core.
_PIECES_PER_CORE = 16


def _read_into(source: IO[bytes], buf: bytearray) -> memoryview | bytes:
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        try:
            n = readinto(buf)
            return memoryview(buf)[: n or 0]
        except (NotImplementedError, io.UnsupportedOperation, AttributeError):
            pass
    return source.read(len(buf))


def iter_text(source: Source, chunk_chars: int = DEFAULT_CHUNK_CHARS, name: str | None = None) -> Iterator[str]:
    """Yield the text of ``source`` (a path or an open binary/text file) in pieces.

    Bytes are decoded as strict UTF-8; a bad byte raises BadInputError naming its offset.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            f = open(path, "rb", buffering=0)
        except OSError as exc:
            raise BadInputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
        with f:
            yield from iter_text(f, chunk_chars, name=path)
        return
    if not callable(getattr(source, "read", None)):
        raise BadInputError(
            f"cannot count {type(source).__name__} {str(source)[:40]!r}: pass a path, an open file, or bytes"
        )
    label = name or getattr(source, "name", None) or "input"
    if isinstance(source, io.TextIOBase) or isinstance(source.read(0), str):
        while True:
            data = source.read(chunk_chars)
            if not data:
                return
            yield data  # type: ignore[misc]
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    buf = bytearray(max(1, chunk_chars))
    consumed = 0  # bytes handed to the decoder so far
    while True:
        data = _read_into(source, buf)  # type: ignore[arg-type]
        final = not data
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            offset = consumed - pending + exc.start
            raise BadInputError(
                f"{label} is not valid UTF-8: byte {offset} (0x{exc.object[exc.start]:02x}) cannot be decoded; "
                "convert it to UTF-8 first"
            ) from None
        consumed += len(data)
        if text:
            yield text
        if final:
            return


class _Counter:
    """Counts one exact tokenizer's tokens over text fed piece by piece."""

    def __init__(self, tok: TiktokenTokenizer, chunk_chars: int, batch: int):
        self.tok = tok
        self.nfc = tok.nfc
        self.chunk = chunk_chars
        self.batch = batch
        self.pending: list[str] = []
        self.buf = ""
        self.scanned = 0  # positions of buf below this were already found unsafe
        self.total = 0

    def feed(self, piece: str) -> None:
        buf = self.buf + piece if self.buf else piece
        if len(buf) < self.chunk:
            self.buf = buf
            return
        p = find_cut(buf, self.scanned, len(buf), self.nfc)
        if p is None:
            self.buf, self.scanned = buf, len(buf)
            return
        self.pending.append(buf[:p])
        self.buf = buf[p:]
        self.scanned = len(self.buf)
        if len(self.pending) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if len(self.pending) > 1:
            self.total += sum(self.tok.count_batch(self.pending))
        elif self.pending:
            self.total += self.tok.count(self.pending[0])
        self.pending = []

    def finish(self) -> int:
        if self.buf:
            self.pending.append(self.buf)
            self.buf = ""
        self._flush()
        return self.total


def count_stream_many(tokenizers: Sequence[Tokenizer | str], source: Source,
                      chunk_chars: int = DEFAULT_CHUNK_CHARS, *, workers: int | None = None,
                      name: str | None = None) -> list[int]:
    """Count ``source`` once for several tokenizers (stdin can be read only once).

    Each count equals ``tokenizer.count(whole_text)`` exactly; the text is never held whole.
    ``name`` labels the source in error messages (default: its file name).
    """
    toks = [get_tokenizer(t) if isinstance(t, str) else t for t in tokenizers]
    if not isinstance(chunk_chars, int) or isinstance(chunk_chars, bool) or chunk_chars < 1:
        raise BadInputError(f"chunk_chars must be a whole number of at least 1, got {chunk_chars!r}")
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    batch = max(1, workers or os.cpu_count() or 1) * _PIECES_PER_CORE
    counters: dict[str, _Counter] = {}
    whole: list[str] | None = None  # only for a tokenizer without a known safe cut (none ship today)
    for tok in toks:
        exact = tok.inner if isinstance(tok, ApproxTokenizer) else tok
        if isinstance(exact, TiktokenTokenizer):
            counters.setdefault(exact.name, _Counter(exact, chunk_chars, batch))
        elif exact is not None:
            whole = []
    chars = 0
    for piece in iter_text(source, chunk_chars, name=name):
        chars += len(piece)
        for c in counters.values():
            c.feed(piece)
        if whole is not None:
            whole.append(piece)
    totals = {name: c.finish() for name, c in counters.items()}
    out = []
    for tok in toks:
        if isinstance(tok, ApproxTokenizer):
            out.append(tok.scale(chars if tok.inner is None else totals[tok.inner.name]))
        elif isinstance(tok, TiktokenTokenizer):
            out.append(totals[tok.name])
        else:
            out.append(tok.count("".join(whole or [])))
    return out


def count_stream(tokenizer: Tokenizer | str, source: Source, chunk_chars: int = DEFAULT_CHUNK_CHARS, *,
                 workers: int | None = None, name: str | None = None) -> int:
    """Count the tokens of a file of any size; equals ``tokenizer.count(whole_text)`` exactly.

    ``tokenizer`` is a Tokenizer or a tokenizer name; ``source`` a path, an open file
    (binary files, ``sys.stdin.buffer`` included, are decoded as UTF-8; text files are read
    as they are) or bytes.  Memory stays flat whatever the size of the input.
    """
    return count_stream_many([tokenizer], source, chunk_chars, workers=workers, name=name)[0]

