"""A model with the price period in force on a date: what every lookup returns.

Data only, below the registry (which finds it) and the fallback database (which builds it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from .errors import BadInputError

if TYPE_CHECKING:
    from .schema import Conversion, ModelEntry, PricePeriod, Provider


def per_tokens(value_per_1m: Decimal, tokens: int) -> Decimal:
    """A rate per 1M tokens as a rate per ``tokens`` tokens, exactly (1K: ``/ 1000``)."""
    return value_per_1m * tokens / 1_000_000 if 1_000_000 % tokens == 0 else value_per_1m * tokens / 1_000_000


@dataclass(frozen=True)
class Priced:
    """A model with the price period in force on ``as_of``.  Rates are ``Decimal`` per 1M tokens."""

    provider_info: Provider
    model: ModelEntry
    period: PricePeriod
    conversion: Conversion | None
    as_of: dt.date
    #: Where a price outside the curated files came from (``"genai-prices 0.2.3"``); None when curated.
    fallback: str | None = None

    @property
    def provider(self) -> str:
        return self.provider_info.id

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model.id}"

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def tokenizer(self) -> str:
        return self.model.tokenizer

    @property
    def family(self) -> str | None:
        return self.model.family

    @property
    def context_window(self) -> int:
        return self.model.context_window

    @property
    def currency(self) -> str:
        return self.period.currency

    @property
    def effective(self) -> dt.date:
        return self.period.effective

    @property
    def source_text(self) -> str:
        """The source as outputs show it: the page, after the fallback database's name if there is one."""
        return f"{self.fallback}: {self.period.source}" if self.fallback else self.period.source

    @property
    def checked(self) -> dt.date:
        """The date this price was last checked against its source."""
        return self.period.checked

    @property
    def source(self) -> str:
        return self.period.source

    def rate(self, name: str, per: int = 1_000_000) -> Decimal | None:
        """Rate ``name`` (e.g. ``"cache_read"``) per ``per`` tokens in the period's currency."""
        value = getattr(self.period, name)
        return None if value is None else per_tokens(value, per)

    def rate_usd(self, name: str, per: int = 1_000_000) -> Decimal | None:
        """Like :meth:`rate`, converted to USD with the provider's stated conversion."""
        value = self.rate(name, per)
        return None if value is None else value * self.usd_per_unit

    @cached_property
    def usd_per_unit(self) -> Decimal:
        """USD per one unit of the period's currency (1 for USD, the conversion rate for credits)."""
        if self.currency == "USD":
            return Decimal(1)
        if self.conversion is not None and self.conversion.to == "USD":
            return self.conversion.rate
        raise BadInputError(
            f"{self.key}: prices are in {self.currency} and there is no conversion to USD; "
            f"add a [[conversions]] entry with --pricing"
        )

    input_per_1k = property(lambda self: self.rate("input", 1_000))
    output_per_1k = property(lambda self: self.rate("output", 1_000))
    input_per_1m = property(lambda self: self.rate("input"))
    output_per_1m = property(lambda self: self.rate("output"))
    cache_read_per_1m = property(lambda self: self.rate("cache_read"))
    cache_write_per_1m = property(lambda self: self.rate("cache_write"))
    input_per_1m_usd = property(lambda self: self.rate_usd("input"))
    output_per_1m_usd = property(lambda self: self.rate_usd("output"))
