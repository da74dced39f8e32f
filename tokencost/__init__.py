"""tokencost: what LLM traffic costs, from exact token counts and sourced, dated prices."""

from .counting import count_message_tokens, count_tokens, tokenizer_for
from .errors import BadInputError, PriceFileError, TokencostError, UnknownModelError
from .estimator import Comparison, Estimate, TrimResult, compare, estimate, to_dataframe, trim_saving
from .registry import Priced, Registry, load_registry

__all__ = [
    "Comparison",
    "Estimate",
    "TrimResult",
    "compare",
    "count_message_tokens",
    "count_tokens",
    "estimate",
    "to_dataframe",
    "tokenizer_for",
    "trim_saving",
    "BadInputError",
    "PriceFileError",
    "Priced",
    "Registry",
    "TokencostError",
    "UnknownModelError",
    "load_registry",
]
