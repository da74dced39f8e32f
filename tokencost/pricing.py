"""Known token counts on one model: :func:`price`, the single path every estimate takes.

``price(model, usage)`` looks the model up (by id, alias or log spelling, on a date) and prices a
:class:`~tokencost.usage.Usage` with :mod:`tokencost.pricing_rules`; money is converted to USD with
the registry's stated conversion.  Text-based estimates (:mod:`tokencost.estimator`) and the
self-hosting plan's hosted comparison both come here.
"""

from __future__ import annotations

import datetime as dt
from decimal import localcontext

from .errors import BadInputError, ContextWindowError
from .money import EXACT
from .pricing_rules import charge
from .registry import Priced, Registry, default_registry
from .results import Estimate
from .usage import Usage

__all__ = ["check_fits", "price", "price_usage"]


def price(model: str | Priced, usage: Usage, as_of: dt.date | None = None,
          registry: Registry | None = None) -> Estimate:
    """What ``usage`` costs on ``model`` (``provider:model``, an id or alias), priced on ``as_of``.

    >>> tokencost.price("openai:gpt-4o", tokencost.Usage(input_tokens=1000, output_tokens=200))
    """
    if not isinstance(usage, Usage):
        raise BadInputError(f"usage must be a tokencost.Usage, not {type(usage).__name__}")
    priced = model if isinstance(model, Priced) else (registry or default_registry()).get(model, as_of=as_of)
    return price_usage(priced, usage)


def price_usage(priced: Priced, usage: Usage, count: str = "exact",
                count_basis: str = "token counts given by the caller") -> Estimate:
    """Price ``usage`` on one resolved model: the single path every estimate takes."""
    check_fits(priced, usage)
    result = charge(priced, usage)
    usd = priced.usd_per_unit
    notes = list(result.notes)
    if priced.currency != "USD":
        c = priced.conversion
        notes.append(f"billed in {priced.currency}: 1 {c.billing_unit} = {c.rate} {c.to} ({c.source}, checked {c.checked})")
    n = usage.requests
    with localcontext(EXACT):
        per_request = result.total * usd
        values = dict(
            usd_per_unit=usd,
            rates_per_1m={k: None if v is None else v * usd for k, v in result.rates.items()},
            input_cost=result.input * usd * n, cache_read_cost=result.cache_read * usd * n,
            cache_write_cost=result.cache_write * usd * n, output_cost=result.output * usd * n,
            cost_per_request=per_request, total_cost=per_request * n,
        )
    # Every value here is computed from validated data: skip pydantic's validation (hot path).
    return Estimate.model_construct(
        model=priced.key, provider=priced.provider, name=priced.name, tokenizer=priced.tokenizer,
        count=count, count_basis=count_basis,
        input_tokens=usage.input_tokens, cached_tokens=usage.cached_tokens,
        cache_write_tokens=usage.cache_write_tokens, output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens, requests=n, batch=usage.batch,
        service_tier=usage.service_tier, tier=result.tier, currency="USD", billed_in=priced.currency,
        as_of=priced.as_of, price_effective=priced.effective, price_checked=priced.checked,
        source=priced.source_text, notes=notes, **values,
    )


def check_fits(priced: Priced, usage: Usage) -> None:
    """A prompt longer than the context window, or an output over the maximum, is not a price."""
    window = priced.context_window
    if usage.input_tokens > window:
        raise ContextWindowError(
            f"{priced.key}: a {usage.input_tokens:,}-token prompt does not fit its {window:,}-token context window"
        )
    most = priced.model.max_output_tokens
    if most is not None and usage.output_tokens > most:
        raise ContextWindowError(
            f"{priced.key}: {usage.output_tokens:,} output tokens are more than its maximum of {most:,} per request"
        )
