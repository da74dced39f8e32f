"""A vocabulary's ranks as flat arrays: read from the cache in a millisecond, built with numpy in tens.

A Python dict of a 200K-token vocabulary costs 20-40 ms to rebuild in every process, however it
is stored, and decoding the base64 tokens of the source file costs as much again.  This table
needs neither: the tokens stay base64 text exactly as the vocabulary file spells them (a lookup
encodes its query instead, about 0.2 us), and the index is five arrays of machine integers that
a warm start maps straight from the cache file's bytes.

Layout, entry ``i`` being the token of rank ``i`` (every vocabulary we load has ranks 0..n-1
in file order, checked when it is parsed):

* ``starts[i]``, ``ends[i]``: where its base64 text lies in ``blob``;
* ``keys``: a 64-bit key per token (from its length and first and last 8 base64 characters),
  grouped by the key's top 16 bits into 65,536 buckets, ``bucket_starts`` marking where each
  bucket begins, and ``bucket_ranks`` the rank of each grouped key.

A lookup computes the query's key, scans its bucket (about three keys) and compares the text of
any equal key, so it is exact whatever the keys collide on.
"""

from __future__ import annotations

import mmap
import sys
from binascii import a2b_base64, b2a_base64
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported only to build a table (about 60 ms), never to read one
    import numpy as np

_K1 = 0x9E3779B97F4A7C15
_K2 = 0xC2B2AE3D27D4EB4F
_MASK64 = (1 << 64) - 1
_BUCKET_BITS = 16
_ARRAYS = ("keys", "bucket_ranks", "bucket_starts", "starts", "ends")


def key_of(b64: bytes) -> int:
    """The 64-bit key of a base64 token: its length and its first and last 8 characters, mixed."""
    n = len(b64)
    first = int.from_bytes(b64[:8], "little")
    last = int.from_bytes(b64[-8:], "little") if n > 8 else 0
    return (first * _K1 + last * _K2 + n) & _MASK64


class RankTable(Mapping[bytes, int]):
    """Token bytes -> rank, for the vocabulary whose base64 tokens lie in ``blob``."""

    __slots__ = ("_blob", "_base", "_keys", "_bucket_ranks", "_bucket_starts", "_starts", "_ends", "_n", "_memo",
                 "_dict")

    def __init__(self, blob: bytes | mmap.mmap, arrays: Mapping[str, memoryview], base: int = 0):
        """``blob[base + starts[i] : base + ends[i]]`` is token i's base64 text (``blob`` slices to bytes)."""
        self._blob = blob
        self._base = base
        self._keys = arrays["keys"]
        self._bucket_ranks = arrays["bucket_ranks"]
        self._bucket_starts = arrays["bucket_starts"]
        self._starts = arrays["starts"]
        self._ends = arrays["ends"]
        self._n = len(self._starts)
        if not (len(self._keys) == len(self._bucket_ranks) == len(self._ends) == self._n
                and len(self._bucket_starts) == (1 << _BUCKET_BITS) + 1):
            raise ValueError("inconsistent rank table")
        self._memo: dict[bytes, int | None] = {}
        self._dict: dict[bytes, int] | None = None

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def build(cls, blob: bytes, starts: np.ndarray, ends: np.ndarray) -> RankTable:
        """The table of the tokens ``blob[starts[i]:ends[i]]`` (base64), token ``i`` having rank ``i``."""
        import numpy as np

        starts = starts.astype(np.int64)
        ends = ends.astype(np.int64)
        lengths = ends - starts
        if len(starts) and (lengths.min() <= 0 or ends.max() > len(blob)):
            raise ValueError("empty or out-of-range token")
        # Every 8-byte window of the blob as a little-endian integer, without copying (the blob is
        # copied with 8 zero bytes added only when a token starts within 8 bytes of its end).
        padded = blob if len(starts) == 0 or int(starts.max()) + 8 <= len(blob) else blob + bytes(8)
        words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, offset=0, strides=(1,))
        keep = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [_MASK64], dtype=np.uint64)
        first = words[starts] & keep[np.minimum(lengths, 8)]
        last = np.where(lengths > 8, words[np.maximum(ends - 8, 0)], np.uint64(0))
        with np.errstate(over="ignore"):  # arithmetic modulo 2**64, as key_of masks it
            keys = first * np.uint64(_K1) + last * np.uint64(_K2) + lengths.astype(np.uint64)
        buckets = (keys >> np.uint64(64 - _BUCKET_BITS)).astype(np.uint16)
        order = np.argsort(buckets, kind="stable")  # a radix sort for 16-bit keys
        counts = np.bincount(buckets, minlength=1 << _BUCKET_BITS)
        bucket_starts = np.concatenate(([0], np.cumsum(counts)))
        native = {
            "keys": keys[order],
            "bucket_ranks": order.astype(np.uint32),
            "bucket_starts": bucket_starts.astype(np.uint32),
            "starts": starts.astype(np.uint32),
            "ends": ends.astype(np.uint32),
        }
        # The arrays' own memory, viewed as machine integers (no copy).
        return cls(blob, {name: memoryview(a).cast("B").cast(_code(a.dtype.itemsize)) for name, a in native.items()})

    # -- serialising ------------------------------------------------------------------------------

    def to_parts(self) -> tuple[dict[str, int], list[bytes | memoryview]]:
        """The array lengths and the buffers to write (native byte order; see :meth:`from_parts`)."""
        if self._base or not isinstance(self._blob, bytes):
            raise ValueError("only a table built in this process is written")
        arrays = [getattr(self, "_" + name) for name in _ARRAYS]
        lengths = {name: len(a) for name, a in zip(_ARRAYS, arrays)}
        lengths["blob"] = len(self._blob)
        lengths["byteorder"] = 0 if sys.byteorder == "little" else 1
        return lengths, [a.cast("B") for a in arrays] + [self._blob]

    @classmethod
    def from_parts(cls, lengths: Mapping[str, int], data: bytes | mmap.mmap, offset: int = 0) -> RankTable:
        """The table whose arrays and then blob follow one another in ``data`` from ``offset``, read in place.

        ValueError when they do not fit exactly.
        """
        if lengths.get("byteorder") != (0 if sys.byteorder == "little" else 1):
            raise ValueError("rank table written on a machine of the other byte order")
        view = memoryview(data)
        arrays: dict[str, memoryview] = {}
        pos = offset
        for name in _ARRAYS:
            size = 8 if name == "keys" else 4
            end = pos + size * int(lengths[name])
            arrays[name] = view[pos:end].cast(_code(size))
            pos = end
        if len(data) - pos != lengths["blob"]:
            raise ValueError("truncated rank table")
        return cls(data, arrays, base=pos)

    # -- the mapping --------------------------------------------------------------------------------

    def get(self, token: bytes, default: int | None = None) -> int | None:  # type: ignore[override]
        memo = self._memo
        rank = memo.get(token, -1)
        if rank == -1:
            rank = memo[token] = self._find(token)
        return default if rank is None else rank

    def _find(self, token: bytes) -> int | None:
        if self._dict is not None:
            return self._dict.get(token)
        q = b2a_base64(token, newline=False)
        key = key_of(q)
        keys, ranks, bounds = self._keys, self._bucket_ranks, self._bucket_starts
        bucket = key >> (64 - _BUCKET_BITS)
        for i in range(bounds[bucket], bounds[bucket + 1]):
            if keys[i] == key:
                rank = ranks[i]
                if self._blob[self._base + self._starts[rank] : self._base + self._ends[rank]] == q:
                    return rank
        return None

    def __contains__(self, token: object) -> bool:
        return isinstance(token, bytes) and self.get(token) is not None

    def __getitem__(self, token: bytes) -> int:
        rank = self.get(token)
        if rank is None:
            raise KeyError(token)
        return rank

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.as_dict())

    def as_dict(self) -> dict[bytes, int]:
        """Every token's rank as a dict (what tiktoken's encoder takes), decoded once."""
        if self._dict is None:
            blob = self._blob if not self._base else memoryview(self._blob)[self._base :]
            tokens = map(a2b_base64, map(blob.__getitem__, map(slice, self._starts, self._ends)))
            self._dict = dict(zip(tokens, range(self._n)))
        return self._dict


def _code(itemsize: int) -> str:
    return {8: "Q", 4: "I"}[itemsize]
