"""How a request's tokens turn into money under one price period: the provider's rules, exactly.

Pure arithmetic on a :class:`~tokencost.usage.Usage` and ``Decimal`` rates per 1M tokens; no
tokenizing, no I/O.  Computed in an exact decimal context: a result that would need rounding is an
error, never a silently rounded number.

Token kinds of a request:
  * input tokens ``P`` = cached (cache reads) + cache writes + ordinary input.
    A prompt cache holds a prefix, so cached tokens are positions 1..C of the
    prompt, cache writes C+1..C+W and ordinary input the rest.
  * output tokens = visible response + hidden reasoning (all billed as output).

Rules applied, in order: the context-length tier chosen by ``P``
(``whole_request``: every token at the tier's rates; ``excess_only``: each
prompt position at the rate of the tier it falls in), then batch or a named
service tier, then a published uplift.  A rate the provider does not publish
for a token kind falls back to the plain input rate, and the fallback is
reported in ``notes`` so it is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from .errors import BadInputError
from .money import EXACT
from .usage import Usage

if TYPE_CHECKING:  # only for annotations: importing the schema costs start-up time
    from .registry import Priced
    from .schema import PricePeriod, Tier

ONE_M = 1_000_000


@dataclass
class Charge:
    """Money for one request, split by token kind, in the price period's currency."""

    input: Decimal = Decimal(0)
    cache_read: Decimal = Decimal(0)
    cache_write: Decimal = Decimal(0)
    output: Decimal = Decimal(0)
    rates: dict[str, Decimal | None] = field(default_factory=dict)
    tier: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.input + self.cache_read + self.cache_write + self.output


def _rate_table(priced: Priced, tier: Tier | None, options: Usage, notes: list[str]) -> dict[str, Decimal | None]:
    """The per-1M rates for each token kind under ``tier`` and the usage's price-list options."""
    period = priced.period
    src = tier or period

    def get(name: str) -> Decimal | None:
        return getattr(src, name, None)

    rates = {"input": get("input"), "output": get("output"), "cache_read": get("cache_read"),
             "cache_write": get("cache_write_1h" if options.cache_ttl == "1h" else "cache_write")}
    if options.cache_ttl == "1h" and rates["cache_write"] is None and get("cache_write") is not None:
        notes.append("no 1-hour cache-write rate published; the 5-minute rate is used")
        rates["cache_write"] = get("cache_write")
    if options.batch:
        b_in, b_out = get("batch_input"), get("batch_output")
        if b_in is None or b_out is None:
            notes.append("no batch rates published for this model; standard rates used")
        else:
            rates["input"], rates["output"] = b_in, b_out
            notes.append("batch rates; cached and cache-write tokens at their standard rates")
    if options.service_tier:
        service = period.service_tiers.get(options.service_tier)
        if service is None:
            known = ", ".join(sorted(period.service_tiers)) or "none"
            raise BadInputError(
                f"{priced.key} has no service tier {options.service_tier!r} (published: {known})"
            )
        for name in ("input", "output", "cache_read", "cache_write"):
            value = getattr(service, name)
            if value is not None:
                rates[name] = value
    if options.uplift:
        found = [u for u in period.uplifts if u.name == options.uplift]
        if not found:
            known = ", ".join(u.name for u in period.uplifts) or "none"
            raise BadInputError(f"{priced.key} has no uplift {options.uplift!r} (published: {known})")
        rates = {k: (None if v is None else v * found[0].multiplier) for k, v in rates.items()}
        notes.append(f"{found[0].name} uplift x{found[0].multiplier}: {found[0].description}")
    return rates


def _fill_missing(rates: dict[str, Decimal | None], usage: Usage, notes: list[str]) -> dict[str, Decimal | None]:
    """Bill cache tokens with no published rate at the input rate, and say so; unused gaps stay ``None``."""
    for kind, count in (("cache_read", usage.cached_tokens), ("cache_write", usage.cache_write_tokens)):
        if rates[kind] is None and count:
            notes.append(f"no {kind.replace('_', '-')} rate published; those tokens billed at the input rate")
            rates[kind] = rates["input"]
    return rates


def _cost(tokens: int, rate_per_1m: Decimal | None) -> Decimal:
    return Decimal(0) if not tokens else tokens * rate_per_1m / ONE_M


def tier_for(period: PricePeriod, input_tokens: int) -> Tier | None:
    """The highest tier whose threshold the prompt exceeds (``None``: base rates)."""
    chosen = None
    for tier in period.tiers:
        if input_tokens > tier.above_prompt_tokens:
            chosen = tier
    return chosen


def charge(priced: Priced, usage: Usage) -> Charge:
    """The exact charge for one request, in the price period's currency (``usage.requests`` is not applied)."""
    with localcontext(EXACT):
        return _charge(priced, usage)


def _charge(priced: Priced, usage: Usage) -> Charge:
    period = priced.period
    notes: list[str] = []
    tier = tier_for(period, usage.input_tokens)
    whole = tier is not None and tier.rule == "whole_request"
    rates = _fill_missing(_rate_table(priced, tier if whole else None, usage, notes), usage, notes)
    result = Charge(rates=dict(rates), notes=notes)
    if tier is not None:
        result.tier = f"prompt > {tier.above_prompt_tokens:,} tokens ({tier.rule})"
    result.output = _cost(usage.output_tokens, rates["output"])
    if tier is None or whole:
        result.input = _cost(usage.uncached_tokens, rates["input"])
        result.cache_read = _cost(usage.cached_tokens, rates["cache_read"])
        result.cache_write = _cost(usage.cache_write_tokens, rates["cache_write"])
        return result
    # excess_only: walk the prompt's positions through the tier bands.
    bands = [(0, None)] + [(t.above_prompt_tokens, t) for t in period.tiers]
    segments = (("cache_read", 0, usage.cached_tokens),
                ("cache_write", usage.cached_tokens, usage.cached_tokens + usage.cache_write_tokens),
                ("input", usage.cached_tokens + usage.cache_write_tokens, usage.input_tokens))
    for i, (start, band_tier) in enumerate(bands):
        end = min(bands[i + 1][0], usage.input_tokens) if i + 1 < len(bands) else usage.input_tokens
        if end <= start:
            continue
        band_rates = _fill_missing(_rate_table(priced, band_tier, usage, []), usage, [])
        for kind, lo, hi in segments:
            overlap = min(hi, end) - max(lo, start)
            if overlap > 0:
                setattr(result, kind, getattr(result, kind) + _cost(overlap, band_rates[kind]))
    return result
