"""tokencost: what LLM traffic costs, from exact token counts and sourced, dated prices."""

from .errors import BadInputError, PriceFileError, TokencostError, UnknownModelError
from .registry import Priced, Registry, load_registry

__all__ = [
    "BadInputError",
    "PriceFileError",
    "Priced",
    "Registry",
    "TokencostError",
    "UnknownModelError",
    "load_registry",
]
