"""The results of pricing: an :class:`Estimate` per model, a :class:`Comparison`, a :class:`TrimResult`.

Data only (pydantic models, money as ``Decimal`` serialised as exact strings); the arithmetic
that fills them is in :mod:`tokencost.estimator`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

from .money import decimal_text

#: A ``Decimal`` field that serialises to JSON as an exact decimal string, never exponent notation.
Money = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]


class Estimate(BaseModel):
    """The cost of ``requests`` identical requests to one model.  Every amount is USD ``Decimal``."""

    model_config = ConfigDict(frozen=True)

    model: str
    provider: str
    name: str
    tokenizer: str
    count: Literal["exact", "approximate"]
    count_basis: str
    input_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    requests: int
    batch: bool
    service_tier: str | None
    tier: str | None
    currency: Literal["USD"] = "USD"
    billed_in: str
    usd_per_unit: Money
    rates_per_1m: dict[str, Money | None]
    input_cost: Money
    cache_read_cost: Money
    cache_write_cost: Money
    output_cost: Money
    cost_per_request: Money
    total_cost: Money
    as_of: dt.date
    price_effective: dt.date
    price_checked: dt.date
    source: str
    notes: list[str]

    @property
    def prompt_tokens(self) -> int:
        """Deprecated name of :attr:`input_tokens`."""
        return self.input_tokens

    @property
    def response_tokens(self) -> int:
        """Visible output tokens: :attr:`output_tokens` less :attr:`reasoning_tokens`."""
        return self.output_tokens - self.reasoning_tokens

    @property
    def price_as_of(self) -> dt.date:
        """Deprecated name of :attr:`price_checked` (the date the price was verified)."""
        return self.price_checked


class Comparison(list[Estimate]):
    """Estimates, cheapest first; ``left_out`` names the models that could not take the request."""

    left_out: list[str]

    def __init__(self, estimates: Sequence[Estimate] = (), left_out: Sequence[str] = ()) -> None:
        super().__init__(estimates)
        self.left_out = list(left_out)

    def to_dataframe(self) -> Any:
        return to_dataframe(self)


def to_dataframe(estimates: Sequence[Estimate]) -> Any:
    """A pandas DataFrame with the same columns as the CSV; money columns hold ``Decimal`` objects."""
    import pandas as pd

    from .rows import estimate_rows

    return pd.DataFrame(estimate_rows(estimates).rows)


class TrimResult(BaseModel):
    """What trimming the prompt (and perhaps the response) saves on one model."""

    model_config = ConfigDict(frozen=True)

    model: str
    trim: Money
    response_trim: Money
    before: Estimate
    after: Estimate
    saving: Money
    saving_pct: Money
    saving_over_trim: Money | None
    article_claim_reached: bool
    explanation: str
