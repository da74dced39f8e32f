"""tokencost: what LLM traffic costs, from exact token counts and sourced, dated prices."""

from .counting import count_message_tokens, count_tokens, tokenizer_for
from .errors import BadInputError, PriceFileError, TokencostError, TokenizerUnavailable, UnknownModelError
from .estimator import Comparison, Estimate, TrimResult, compare, estimate, to_dataframe, trim_saving
from .messages import MessageCount, count_messages
from .registry import Priced, Registry, load_registry
from .batch import FileCount, count_files
from .tokenizers import TOKENIZER_NAMES, Tokenizer, count_stream, get_tokenizer

__all__ = [
    "BadInputError",
    "compare",
    "Comparison",
    "count_files",
    "count_message_tokens",
    "count_messages",
    "count_stream",
    "count_tokens",
    "Estimate",
    "estimate",
    "FileCount",
    "get_tokenizer",
    "load_registry",
    "MessageCount",
    "Priced",
    "PriceFileError",
    "Registry",
    "to_dataframe",
    "TokencostError",
    "Tokenizer",
    "tokenizer_for",
    "TOKENIZER_NAMES",
    "TokenizerUnavailable",
    "trim_saving",
    "TrimResult",
    "UnknownModelError",
]
