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

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

#: Tokenizer names the tokenizer adapter knows, from its table (which imports no tokenizer
#: library).  ``approx:*`` names are approximations: counts from them are labelled approximate.
from .tokenizers._specs import TOKENIZER_NAMES as TOKENIZERS  # noqa: E402

#: How many tokens the quoted price is for.
UNIT_TOKENS = {"1K": 1_000, "1M": 1_000_000}

ID_PATTERN = r"^[a-z0-9][a-z0-9._\-/]*$"

#: Bounds on what a price file may say: a rate is at most this per quoted unit of tokens, with at
#: most ``MAX_RATE_DIGITS`` significant digits (anything larger is a typo, and would not stay exact).
MAX_RATE = Decimal(1_000_000)
MAX_RATE_DIGITS = 20


def _bounded(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{value} is not a number")
    if value > MAX_RATE:
        raise ValueError(f"{value} is more than {MAX_RATE} per quoted unit; check the magnitude")
    if len(value.as_tuple().digits) > MAX_RATE_DIGITS and value != value.to_integral_value():
        raise ValueError(f"{value} has more than {MAX_RATE_DIGITS} significant digits")
    return value


NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(_bounded)]
Multiplier = Annotated[Decimal, Field(gt=0, allow_inf_nan=False), AfterValidator(_bounded)]
Url = Annotated[str, Field(pattern=r"^https://\S+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z][A-Za-z_]{1,19}$")]

#: Rate fields, in the order outputs show them (declared once, in :class:`_Rates` and :class:`_BatchRates`).
RATE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "batch_input", "batch_output")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)


#: The shared base of every data-file model (price files here, hardware files in tokencost.selfhost).
Strict = _Strict


class _Rates(_Strict):
    """One set of per-token rates, per 1M tokens in the period's currency once loaded."""

    input: NonNegative
    output: NonNegative
    cache_read: NonNegative | None = None
    cache_write: NonNegative | None = None
    cache_write_1h: NonNegative | None = None


class _BatchRates(_Rates):
    batch_input: NonNegative | None = None
    batch_output: NonNegative | None = None


class Tier(_BatchRates):
    """Rates that apply once the prompt is longer than ``above_prompt_tokens``.

    ``rule = "whole_request"``: every token of the request is billed at the
    tier's rates (Gemini, Anthropic long context).  ``rule = "excess_only"``:
    only the prompt tokens past the threshold are billed at the tier's input
    rate; output stays at the base rate unless the tier says otherwise.
    """

    above_prompt_tokens: Annotated[int, Field(gt=0)]
    rule: Literal["whole_request", "excess_only"] = "whole_request"


class ServiceTier(_Rates):
    """A named service tier with its own rates (OpenAI ``flex``/``priority``)."""


class Uplift(_Strict):
    """A published multiplier on all rates (regional or data-residency endpoints)."""

    name: Annotated[str, Field(pattern=ID_PATTERN)]
    multiplier: Multiplier
    description: str


def _per_1m(data: dict, factor: int) -> dict:
    """A copy of ``data`` with every rate field multiplied by ``factor`` (exact: an integer)."""
    out = dict(data)
    for name in RATE_FIELDS:
        if out.get(name) is not None and isinstance(out[name], (Decimal, int)):
            out[name] = out[name] * factor
    return out


class PricePeriod(_BatchRates):
    """The rates in force from ``effective`` until the next period starts.

    Files quote rates per 1K or per 1M tokens (``unit``, kept as ``quoted_per``); once loaded every
    rate here is per 1M tokens, converted exactly.
    """

    effective: dt.date
    quoted_per: Literal["1K", "1M"] = Field(validation_alias=AliasChoices("unit", "quoted_per"),
                                            serialization_alias="quoted_per")
    currency: Currency = "USD"
    tiers: list[Tier] = []
    service_tiers: dict[str, ServiceTier] = {}
    uplifts: list[Uplift] = []
    source: Url
    checked: dt.date
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _rates_per_1m(cls, data):
        """Rates quoted per 1K tokens become per 1M tokens (times 1000, exact) before validation."""
        if not isinstance(data, dict) or data.get("unit") != "1K":  # "quoted_per": already converted
            return data
        out = _per_1m(data, 1000)
        if isinstance(out.get("tiers"), list):
            out["tiers"] = [_per_1m(t, 1000) if isinstance(t, dict) else t for t in out["tiers"]]
        if isinstance(out.get("service_tiers"), dict):
            out["service_tiers"] = {k: _per_1m(t, 1000) if isinstance(t, dict) else t
                                    for k, t in out["service_tiers"].items()}
        return out

    @property
    def unit(self) -> str:
        """Deprecated: the unit the source quotes (``quoted_per``); the rates here are per 1M."""
        return "1M"

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
    retired: dt.date | None = None
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

    @model_validator(mode="after")
    def _tiers_inside_the_window(self) -> ModelEntry:
        """A context tier must start below the context window, or no prompt could reach it."""
        for period in self.prices:
            for tier in period.tiers:
                if tier.above_prompt_tokens >= self.context_window:
                    raise ValueError(
                        f"a tier above {tier.above_prompt_tokens:,} prompt tokens cannot apply within a "
                        f"{self.context_window:,}-token context window"
                    )
        return self

    @model_validator(mode="after")
    def _retired_after_prices(self) -> ModelEntry:
        """A retirement date ends the last period: no period may start on or after it."""
        if self.retired is not None:
            if self.prices[-1].effective >= self.retired:
                raise ValueError(
                    f"retired {self.retired} must come after the last price period's effective date "
                    f"({self.prices[-1].effective})"
                )
            if self.deprecated is not None and self.deprecated > self.retired:
                raise ValueError(f"deprecated {self.deprecated} must not come after retired {self.retired}")
        return self


class Conversion(_Strict):
    """How a provider's own billing unit (credits, DBUs) converts to money (``unit`` in files).

    ``effective`` is the first day the rate applies (``None``: always, until a dated
    entry for the same unit takes over), so usage before a repricing of the unit
    converts at the rate then.
    """

    billing_unit: Currency = Field(validation_alias=AliasChoices("unit", "billing_unit"),
                                   serialization_alias="billing_unit")
    to: Currency = "USD"
    rate: Multiplier
    effective: dt.date | None = None
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
        starts: set[tuple[str, dt.date | None]] = set()
        for conversion in self.conversions:
            start = (conversion.billing_unit, conversion.effective)
            if start in starts:
                when = f"effective {conversion.effective}" if conversion.effective else "no effective date"
                raise ValueError(f"two [[conversions]] for {conversion.billing_unit!r} with {when}")
            starts.add(start)
        units = {c.billing_unit for c in self.conversions}
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
