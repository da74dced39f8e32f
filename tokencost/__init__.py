"""tokencost: what LLM traffic costs, from exact token counts and sourced, dated prices.

>>> import tokencost
>>> tokencost.price("openai:gpt-4o", tokencost.Usage(input_tokens=1000, output_tokens=200)).total_cost
>>> tokencost.estimate("Summarise this contract ...", "openai:gpt-4o", response_tokens=250)

Names are imported when first used, so ``import tokencost`` stays fast.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

#: The public surface: name -> module that defines it.
_PUBLIC = {
    "Usage": "usage",
    "price": "pricing",
    "estimate": "estimator",
    "compare": "estimator",
    "trim_saving": "estimator",
    "Estimate": "results",
    "count_tokens": "counting",
    "count_message_tokens": "counting",
    "load_registry": "registry",
    "Registry": "registry",
    "TokencostError": "errors",
    "BadInputError": "errors",
}
#: Names exported before 0.2, kept working with a DeprecationWarning: name -> (module, where it lives now).
_DEPRECATED = {
    "Comparison": "results",
    "TrimResult": "results",
    "to_dataframe": "estimator",
    "tokenizer_for": "counting",
    "count_messages": "messages",
    "MessageCount": "messages",
    "Priced": "registry",
    "PriceFileError": "errors",
    "UnknownModelError": "errors",
    "TokenizerUnavailable": "errors",
    "count_files": "batch",
    "count_stream": "tokenizers",
    "FileCount": "batch",
    "get_tokenizer": "tokenizers",
    "Tokenizer": "tokenizers",
    "TOKENIZER_NAMES": "tokenizers",
}
_SUBPACKAGES = ("selfhost", "tokenizers", "reprice")

__all__ = ["__version__", "reprice", *_PUBLIC]

if TYPE_CHECKING:
    from .counting import count_message_tokens, count_tokens
    from .errors import BadInputError, TokencostError
    from .estimator import compare, estimate, trim_saving
    from .pricing import price
    from .results import Estimate
    from .registry import Registry, load_registry
    from .usage import Usage


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    elif name in _DEPRECATED:
        module = f"tokencost.{_DEPRECATED[name]}"
        warnings.warn(f"tokencost.{name} is deprecated; import it from {module}", DeprecationWarning, stacklevel=2)
        value = getattr(importlib.import_module(module), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'tokencost' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, *_SUBPACKAGES])
