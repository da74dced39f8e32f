"""Reprice real traffic: usage exports and logs priced row by row at the price in force that day.

``reprice(sources, ...)`` reads files (eight export formats, detected from content), prices them
with DuckDB (or Spark) using the registry's price history and the pricing rules as SQL, and
returns a :class:`Repricing`; ``reprice_frame(df, ...)`` does the same for a DataFrame you have.
"""

import sys
import types
from typing import Any

from .api import reprice, reprice_frame
from .result import Group, Repricing, Unpriced, WhatIf

__all__ = ["Group", "Repricing", "Unpriced", "WhatIf", "reprice", "reprice_frame"]


class _CallableModule(types.ModuleType):
    """``tokencost.reprice(...)`` calls :func:`reprice`: the package and the function share a name,
    and Python binds ``tokencost.reprice`` to the package once it is imported."""

    def __call__(self, *args: Any, **kwargs: Any) -> Repricing:
        return reprice(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
