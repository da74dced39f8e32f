"""Pydantic models of the price files in ``pricing/``.

The files are TOML, parsed with ``parse_float=Decimal`` so that no price ever
passes through a binary float.  Every model here is strict about keys
(``extra="forbid"``): a misspelt field is an error, not a silently ignored
price.  See ``docs/pricing-format.md`` for the format, field by field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

#: Tokenizer names the tokenizer adapter knows.  ``approx:*`` names are
#: approximations: counts from them are labelled approximate everywhere.
TOKENIZERS = (
    "o200k_base",
    "cl100k_base",
    "llama3",
    "llama4",
    "mistral",
    "qwen",
    "approx:claude",
    "approx:gemini",
    "approx:phi",
    "approx:chars",
)

#: How many tokens the quoted price is for.
UNIT_TOKENS = {"1K": 1_000, "1M": 1_000_000}

ID_PATTERN = r"^[a-z0-9][a-z0-9._\-/]*$"

NonNegative = Annotated[Decimal, Field(ge=0)]
Multiplier = Annotated[Decimal, Field(gt=0)]
Url = Annotated[str, Field(pattern=r"^https://\S+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z][A-Za-z_]{1,19}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


#: The shared base of every data-file model (price files here, hardware files in tokencost.selfhost).
Strict = _Strict


class Rates(_Strict):
    """One set of per-token rates, in the period's unit and currency."""

    input: NonNegative
    output: NonNegative
    cache_read: NonNegative | None = None
    cache_write: NonNegative | None = None
    cache_write_1h: NonNegative | None = None


class Tier(_Strict):
    """Rates that apply once the prompt is longer than ``above_prompt_tokens``.

    ``rule = "whole_request"``: every token of the request is billed at the
    tier's rates (Gemini, Anthropic long context).  ``rule = "excess_only"``:
    only the prompt tokens past the threshold are billed at the tier's input
    rate; output stays at the base rate unless the tier says otherwise.
    """

    above_prompt_tokens: Annotated[int, Field(gt=0)]
    rule: Literal["whole_request", "excess_only"] = "whole_request"
    input: NonNegative
    output: NonNegative
    cache_read: NonNegative | None = None
    cache_write: NonNegative | None = None
    cache_write_1h: NonNegative | None = None
    batch_input: NonNegative | None = None
    batch_output: NonNegative | None = None


class ServiceTier(Rates):
    """A named service tier with its own rates (OpenAI ``flex``/``priority``)."""


class Uplift(_Strict):
    """A published multiplier on all rates (regional or data-residency endpoints)."""

    name: Annotated[str, Field(pattern=ID_PATTERN)]
    multiplier: Multiplier
    description: str


class PricePeriod(_Strict):
    """The rates in force from ``effective`` until the next period starts."""

    effective: dt.date
    unit: Literal["1K", "1M"]
    currency: Currency = "USD"
    input: NonNegative
    output: NonNegative
    cache_read: NonNegative | None = None
    cache_write: NonNegative | None = None
    cache_write_1h: NonNegative | None = None
    batch_input: NonNegative | None = None
    batch_output: NonNegative | None = None
    tiers: list[Tier] = []
    service_tiers: dict[str, ServiceTier] = {}
    uplifts: list[Uplift] = []
    source: Url
    checked: dt.date
    note: str = ""

    @field_validator("tiers")
    @classmethod
    def _tiers_ascending(cls, tiers: list[Tier]) -> list[Tier]:
        thresholds = [t.above_prompt_tokens for t in tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tiers must have strictly ascending above_prompt_tokens")
        return tiers

    @field_validator("service_tiers")
    @classmethod
    def _service_tier_names(cls, tiers: dict[str, ServiceTier]) -> dict[str, ServiceTier]:
        for name in tiers:
            if not re.match(ID_PATTERN, name):
                raise ValueError(f"service tier name {name!r} must be lowercase letters, digits, '-'")
        return tiers


class ModelEntry(_Strict):
    """One model a provider sells, with its price history."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str
    aliases: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []
    family: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    tokenizer: str
    context_window: Annotated[int, Field(gt=0)]
    max_output_tokens: Annotated[int, Field(gt=0)] | None = None
    reasoning: bool = False
    compare: bool = False
    image_rule: Literal["openai-tiles"] | None = None
    deprecated: dt.date | None = None
    note: str = ""
    prices: Annotated[list[PricePeriod], Field(min_length=1)]

    @field_validator("tokenizer")
    @classmethod
    def _known_tokenizer(cls, name: str) -> str:
        if name not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {name!r}; known: {', '.join(TOKENIZERS)}")
        return name

    @field_validator("prices")
    @classmethod
    def _periods_ascending(cls, periods: list[PricePeriod]) -> list[PricePeriod]:
        dates = [p.effective for p in periods]
        if dates != sorted(set(dates)):
            raise ValueError("price periods must have strictly ascending 'effective' dates")
        return periods


class Conversion(_Strict):
    """How a provider's own billing unit (credits, DBUs) converts to money."""

    unit: Currency
    to: Currency = "USD"
    rate: Multiplier
    source: Url
    checked: dt.date
    note: str = ""


class Provider(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str
    kind: Literal["api", "hardware"] = "api"
    homepage: Url | None = None
    note: str = ""


class PriceFile(_Strict):
    """One file in ``pricing/``: a provider, its unit conversions, its models."""

    schema_version: Literal[1] = SCHEMA_VERSION
    provider: Provider
    conversions: list[Conversion] = []
    models: list[ModelEntry] = []

    @model_validator(mode="after")
    def _consistent(self) -> PriceFile:
        seen: dict[str, str] = {}
        for model in self.models:
            for name in (model.id, *model.aliases):
                if name in seen:
                    raise ValueError(f"id or alias {name!r} used by both {seen[name]!r} and {model.id!r}")
                seen[name] = model.id
        units = {c.unit for c in self.conversions}
        for model in self.models:
            for period in model.prices:
                if period.currency not in units and not _is_iso_currency(period.currency):
                    raise ValueError(
                        f"model {model.id!r}: currency {period.currency!r} is neither an ISO code "
                        f"nor a unit with a [[conversions]] entry"
                    )
        if self.provider.kind == "hardware" and self.models:
            raise ValueError("a hardware provider sells no tokens: it has no [[models]]")
        return self


def _is_iso_currency(code: str) -> bool:
    return len(code) == 3 and code.isalpha() and code.isupper()
