"""The tokenizer objects and ``get_tokenizer``, which builds each one once per process.

Exact tokenizers run tiktoken's BPE over an official vocabulary (``_vocab``) with the split
pattern and special tokens of their entry in ``_specs``.  Special-token strings such as
``<|endoftext|>`` in user text are counted as ordinary text (``encode_ordinary``): user text
can never inject a control token, and counting never raises on it.
"""

from __future__ import annotations

import math
import os
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from difflib import get_close_matches
from fractions import Fraction
from typing import TYPE_CHECKING

from ..errors import BadInputError
from . import _bpe, _vocab
from ._approx import ApproxSpec
from ._specs import SPECS, TOKENIZER_NAMES, ExactSpec

if TYPE_CHECKING:  # tiktoken is imported when an encoder is first built (about 0.1 s of start-up)
    import tiktoken


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
        """Tokens of each text, in order."""
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
                from concurrent.futures import ThreadPoolExecutor  # 60 ms of imports, only when batches need it

                _POOL = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="tokencost-count")
    return _POOL


def _fix_surrogates(text: str) -> str:
    # What tiktoken's encode_ordinary does for strings that are not valid UTF-8 (lone surrogates).
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class TiktokenTokenizer(Tokenizer):
    """An exact tokenizer: tiktoken's BPE with an official vocabulary and split pattern.

    The tiktoken encoder is built on first need: short texts are counted from the ranks
    (``_bpe``), so a command that prices one prompt on six tokenizers does not pay for six
    encoder builds.
    """

    def __init__(
        self,
        name: str,
        basis: str | Callable[[], str],
        *,
        pat_str: str,
        ranks: Mapping[bytes, int],
        special_tokens: dict[str, int],
        encoder_special_tokens: dict[str, int] | None = None,
        nfc: bool = False,
        sha256: str = "",
    ):
        self.name = name
        self.exact = True
        self.error = None
        self._basis = basis
        self.special_tokens = special_tokens
        #: True when the tokenizer NFC-normalises text before BPE (Qwen does).
        self.nfc = nfc
        self.sha256 = sha256
        self._pat_str = pat_str
        self._ranks = ranks
        self._encoder_special = encoder_special_tokens if encoder_special_tokens is not None else special_tokens
        self._encoding: tiktoken.Encoding | None = None
        self._encoding_lock = threading.Lock()
        self._split = None
        #: Characters counted without the encoder so far; past SMALL_TEXT_CHARS it pays to build it.
        self._small_chars = 0
        self._fast: Callable[[str], int] | None = None

    @property
    def basis(self) -> str:  # type: ignore[override]
        """Where the vocabulary comes from; formatted on first read (a package version lookup costs 25 ms)."""
        if callable(self._basis):
            self._basis = self._basis()
        return self._basis

    @property
    def encoding(self) -> tiktoken.Encoding:
        """tiktoken's encoder for this vocabulary, built once on first use."""
        if self._encoding is None:
            with self._encoding_lock:
                if self._encoding is None:
                    import tiktoken  # see the TYPE_CHECKING import above

                    enc = tiktoken.Encoding(name=f"tokencost-{self.name}", pat_str=self._pat_str,
                                            mergeable_ranks=_as_dict(self._ranks), special_tokens=self._encoder_special)
                    self._fast = self._fast_counter(enc)
                    self._encoding = enc
        return self._encoding

    def _count_small(self, text: str) -> int:
        if self._split is None:
            self._split = _bpe.compile_split(self._pat_str)
        try:
            n = _bpe.count_pieces(text, self._split, self._ranks)
        except UnicodeEncodeError:
            return self._count_small(_fix_surrogates(text))
        return len(self.encoding.encode_ordinary(text)) if n is None else n

    @staticmethod
    def _fast_counter(encoding: tiktoken.Encoding) -> Callable[[str], int] | None:
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
        if self._encoding is None and self._small_chars + len(text) <= _bpe.SMALL_TEXT_CHARS:
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
        self.encoding  # build it before the threads race for it
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
        """Token ids of ``text`` (special-token strings encoded as text)."""
        if self.nfc:
            text = unicodedata.normalize("NFC", text)
        return self.encoding.encode_ordinary(text)


class ApproxTokenizer(Tokenizer):
    """An approximation, always ``exact = False``: ceil(another tokenizer's count x ratio), or chars / 4."""

    def __init__(self, name: str, basis: str, error: str, inner: TiktokenTokenizer | None = None,
                 chars_per_token: int = 4, ratio: Fraction = Fraction(1)):
        self.name = name
        self.exact = False
        self.basis = basis
        self.error = error
        self.inner = inner
        self.chars_per_token = chars_per_token
        self.ratio = ratio

    def scale(self, inner_count: int) -> int:
        """This approximation's count, given the inner tokenizer's count (or the character count)."""
        if self.inner is None:
            return math.ceil(inner_count / self.chars_per_token)
        if self.ratio == 1:
            return inner_count
        return math.ceil(inner_count * self.ratio)

    def count(self, text: str) -> int:
        return self.scale(self.inner.count(text) if self.inner is not None else len(text))

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        if self.inner is None:
            return [self.scale(len(t)) for t in texts]
        return [self.scale(n) for n in self.inner.count_batch(texts)]


# --- loading -------------------------------------------------------------------------------

_LOCK = threading.Lock()
_NAME_LOCKS: dict[str, threading.Lock] = {}
_CACHE: dict[str, Tokenizer] = {}


def _build_exact(spec: ExactSpec) -> TiktokenTokenizer:
    source = _vocab.SOURCES[spec.vocab]
    vocab = _vocab.load(source)
    n = len(vocab.ranks)
    pattern = spec.pattern if spec.pattern is not None else vocab.config["pattern"]
    special = spec.specials(n)

    def basis() -> str:
        where = f"{source.pip_name} {_vocab.package_version(source.pip_name)}"
        return spec.basis.format(where=where, file=source.relpath)

    enc_special = special
    if not enc_special:
        # tiktoken builds its special-token regex from these strings; with none at all that regex
        # matches the empty string at every position and the fast counting path crawls.  A
        # sentinel id past the vocabulary avoids it; user text is never encoded as a special.
        enc_special = {"<|tokencost-sentinel|>": n}
    return TiktokenTokenizer(spec.name, basis, pat_str=pattern, ranks=vocab.ranks, special_tokens=special,
                             encoder_special_tokens=enc_special, nfc=spec.nfc, sha256=vocab.sha256)


def _build(name: str) -> Tokenizer:
    spec = SPECS[name]
    if isinstance(spec, ExactSpec):
        return _build_exact(spec)
    return _build_approx(spec)


def _build_approx(spec: ApproxSpec) -> ApproxTokenizer:
    name = spec.name
    inner = get_tokenizer(spec.inner) if spec.inner else None
    return ApproxTokenizer(name, spec.basis, spec.error, inner=inner,  # type: ignore[arg-type]
                           chars_per_token=spec.chars_per_token, ratio=spec.ratio)


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (see :data:`TOKENIZER_NAMES`), loaded once per process."""
    tok = _CACHE.get(name) if isinstance(name, str) else None
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


def preload(names: Iterable[str]) -> None:
    """Load the tokenizers called ``names`` now, several at a time when more than one must be built.

    Building a vocabulary's rank table the first time (``_vocab``) is mostly file reading,
    decompression, hashing and numpy work, which run outside the GIL, so a command that needs six
    vocabularies loads them on every core.  Errors are left for the call that needs the tokenizer.
    """
    wanted = [_exact_inner(n) for n in names if isinstance(n, str) and n in TOKENIZER_NAMES]
    todo = [n for n in dict.fromkeys(wanted) if n is not None and n not in _CACHE]
    if not todo:
        return
    workers = min(_threads(), len(todo))
    if workers < 2:
        _try_load(iter(todo))
        return
    # Largest file first, each worker taking the next one as it finishes: the slowest load starts first.
    queue = iter(sorted(todo, key=_source_size, reverse=True))
    threads = [threading.Thread(target=_try_load, args=(queue,), daemon=True) for _ in range(1, workers)]
    for t in threads:
        t.start()
    _try_load(queue)
    for t in threads:
        t.join()


def _source_size(name: str) -> int:
    """About how much work loading ``name`` is: its file's size, uncompressed (gzip shrinks these ~2.4x)."""
    try:
        source = _vocab.SOURCES[SPECS[name].vocab]  # type: ignore[union-attr]
        size = source.locate().stat().st_size
    except Exception:
        return 0
    return size * 5 // 2 if source.kind.endswith(".gz") else size


def _exact_inner(name: str) -> str | None:
    """The exact tokenizer that ``name`` needs loaded: itself, an approximation's basis, or none."""
    spec = SPECS[name]
    while isinstance(spec, ApproxSpec):
        if not spec.inner:
            return None
        spec = SPECS[spec.inner]
    return spec.name


_QUEUE_LOCK = threading.Lock()


def _try_load(names: Iterator[str]) -> None:
    while True:
        with _QUEUE_LOCK:
            name = next(names, None)
        if name is None:
            return
        try:
            get_tokenizer(name)
        except Exception:  # raised again, to the caller, by the call that needs it
            continue


def _clear_cache() -> None:
    """Forget loaded tokenizers (tests and benchmarks measure cold loads with it)."""
    with _LOCK:
        _CACHE.clear()


def _as_dict(ranks: Mapping[bytes, int]) -> dict[bytes, int]:
    """tiktoken's encoder takes a plain dict."""
    as_dict = getattr(ranks, "as_dict", None)
    return as_dict() if as_dict is not None else dict(ranks)
