"""What a prompt costs: on one model (:func:`estimate`), on many (:func:`compare`), after a trim
(:func:`trim_saving`), and at volume (``requests``).

Token counts come from each model's own tokenizer (see :mod:`tokencost.counting`); money comes
from :mod:`tokencost.pricing_rules` and is ``Decimal`` in US dollars, converted from credits or
DBUs with the registry's stated conversion where a provider bills in its own unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

from .errors import BadInputError
from .outputs import decimal_text
from .pricing_rules import Options, Usage, charge
from .registry import Priced, Registry, load_registry

#: More requests than this in one projection is almost certainly a typo (a trillion a day for a year).
MAX_REQUESTS = 10**15

Prompt = str | Sequence[dict[str, Any]]

#: Money and rates: exact ``Decimal``; in JSON an exact decimal string, never exponent notation.
Money = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]


class Estimate(BaseModel):
    """The cost of ``requests`` identical requests to one model.  Money is USD ``Decimal``."""

    model_config = ConfigDict(frozen=True)

    model: str
    provider: str
    name: str
    tokenizer: str
    count: Literal["exact", "approximate", "given"]
    count_basis: str
    prompt_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    response_tokens: int
    reasoning_tokens: int
    currency: str
    usd_per_unit: Money
    rates_per_1m: dict[str, Money | None]
    input_cost: Money
    cache_read_cost: Money
    cache_write_cost: Money
    output_cost: Money
    cost_per_request: Money
    requests: int
    total_cost: Money
    tier: str | None
    batch: bool
    service_tier: str | None
    price_effective: dt.date
    price_as_of: dt.date
    source: str
    notes: list[str]


class Comparison(list):
    """A list of :class:`Estimate`, cheapest first, that also turns into a DataFrame."""

    def to_dataframe(self):
        return to_dataframe(self)


def to_dataframe(estimates: Sequence[Estimate]):
    """A pandas DataFrame, one row per estimate; money columns hold ``Decimal`` objects."""
    import pandas as pd

    from .report import estimate_rows

    return pd.DataFrame(estimate_rows(estimates, full=True))


def _check_requests(requests: int) -> int:
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise BadInputError(f"the number of requests must be a whole number >= 1, not {requests!r}")
    if requests > MAX_REQUESTS:
        raise BadInputError(f"{requests:,} requests is beyond any real traffic (limit {MAX_REQUESTS:,}); check the volume")
    return requests


def volume(requests_per_day: int | None = None, days: int | None = None) -> int:
    """Requests in a projection of ``requests_per_day`` over ``days`` (default 30 days)."""
    if requests_per_day is None and days is None:
        return 1
    for name, value in (("requests per day", requests_per_day), ("days", days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise BadInputError(f"{name} must be a whole number >= 1, not {value!r}")
    if days is not None and days > 36_600:
        raise BadInputError(f"{days} days is more than a century; check --days")
    return _check_requests((requests_per_day or 1) * (days or 30))


def _response_tokens(prompt_tokens: int, response_tokens: int | None, response_ratio: float | Decimal | None) -> int:
    if response_tokens is not None and response_ratio is not None:
        raise BadInputError("give either response tokens or a response ratio, not both")
    if response_ratio is not None:
        ratio = Decimal(str(response_ratio))
        if ratio < 0 or ratio > 100:
            raise BadInputError(f"response ratio must be between 0 and 100, not {response_ratio}")
        return int((ratio * prompt_tokens).to_integral_value(ROUND_HALF_EVEN))
    return response_tokens or 0


def price(priced: Priced, usage: Usage, *, options: Options = Options(), requests: int = 1,
          count: str = "given", count_basis: str = "token counts given by the caller") -> Estimate:
    """Price known token counts on one resolved model (no tokenizing)."""
    _check_requests(requests)
    result = charge(priced, usage, options)
    usd = priced.usd_per_unit
    notes = list(result.notes)
    if priced.currency != "USD":
        c = priced.conversion
        notes.append(f"billed in {priced.currency}: 1 {c.unit} = {c.rate} {c.to} ({c.source}, checked {c.checked})")
    per_request = result.total * usd
    return Estimate(
        model=priced.key, provider=priced.provider, name=priced.name, tokenizer=priced.tokenizer,
        count=count, count_basis=count_basis,
        prompt_tokens=usage.prompt_tokens, cached_tokens=usage.cached_tokens,
        cache_write_tokens=usage.cache_write_tokens, response_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens, currency=priced.currency, usd_per_unit=usd,
        rates_per_1m=result.rates,
        input_cost=result.input * usd * requests, cache_read_cost=result.cache_read * usd * requests,
        cache_write_cost=result.cache_write * usd * requests, output_cost=result.output * usd * requests,
        cost_per_request=per_request, requests=requests, total_cost=per_request * requests,
        tier=result.tier, batch=options.batch, service_tier=options.service_tier,
        price_effective=priced.effective, price_as_of=priced.as_of, source=priced.source, notes=notes,
    )


def estimate(
    prompt: Prompt | None,
    model: str,
    *,
    prompt_tokens: int | None = None,
    response_tokens: int | None = None,
    response: str | None = None,
    response_ratio: float | Decimal | None = None,
    reasoning_tokens: int = 0,
    cached_tokens: int = 0,
    cache_write_tokens: int = 0,
    batch: bool = False,
    service_tier: str | None = None,
    cache_ttl: str = "5m",
    uplift: str | None = None,
    requests: int = 1,
    as_of: dt.date | None = None,
    registry: Registry | None = None,
) -> Estimate:
    """What ``prompt`` (text or chat messages) costs on ``model``, ``requests`` times.

    The response is ``response`` (text, counted), ``response_tokens``, or ``response_ratio`` times
    the prompt.  ``cached_tokens`` of the prompt are cache hits, ``cache_write_tokens`` are written
    to the cache; reasoning tokens are billed as output.
    """
    return compare(
        prompt, [model], prompt_tokens=prompt_tokens, response_tokens=response_tokens, response=response,
        response_ratio=response_ratio, reasoning_tokens=reasoning_tokens, cached_tokens=cached_tokens,
        cache_write_tokens=cache_write_tokens, batch=batch, service_tier=service_tier, cache_ttl=cache_ttl,
        uplift=uplift, requests=requests, as_of=as_of, registry=registry,
    )[0]


#: Self-hosted rows in the default comparison: Llama 3.3 70B with FP8 weights on the smallest H100
#: tensor-parallel group that fits, at the cheapest sourced H100 price, busy half the paid time.
SELFHOST_DEFAULTS = ({"model": "llama-3.3-70b", "gpu": "h100-sxm", "precision": "fp8", "utilization": Decimal("0.5")},)


def selfhost_estimate(prompt_tokens: int, response_tokens: int, config: dict[str, Any], *, requests: int = 1,
                      count: str = "given", count_basis: str = "") -> Estimate:
    """A self-hosted Llama configuration priced like an API: per-1M rates from the throughput model."""
    from . import selfhost

    est = selfhost.estimate(prompt_tokens=prompt_tokens, response_tokens=response_tokens, **config)
    rates = {"input": est.cost_per_1k_input * 1000, "output": est.cost_per_1k_output * 1000,
             "cache_read": None, "cache_write": None}
    input_cost = est.cost_per_1k_input * prompt_tokens / 1000
    output_cost = est.cost_per_1k_output * response_tokens / 1000
    row = est.price_row
    label = f"{est.gpus}x{est.gpu} {est.precision}, est."
    return Estimate(
        model=f"self-hosted:{est.model} ({label})", provider="self-hosted",
        name=f"{est.model} on {est.gpus} x {est.gpu} ({est.precision}), estimate",
        tokenizer=selfhost.resolve_model(est.model).tokenizer, count=count, count_basis=count_basis,
        prompt_tokens=prompt_tokens, cached_tokens=0, cache_write_tokens=0, response_tokens=response_tokens,
        reasoning_tokens=0, currency="USD", usd_per_unit=Decimal(1), rates_per_1m=rates,
        input_cost=input_cost * requests, cache_read_cost=Decimal(0), cache_write_cost=Decimal(0),
        output_cost=output_cost * requests, cost_per_request=input_cost + output_cost, requests=requests,
        total_cost=(input_cost + output_cost) * requests, tier=None, batch=False, service_tier=None,
        price_effective=row.effective if row else dt.date.today(), price_as_of=row.checked if row else dt.date.today(),
        source=row.source if row else est.price_source,
        notes=[f"self-hosted estimate, not a price list: {est.output_tokens_per_s:,.0f} output tokens/s predicted "
               f"at concurrency {est.concurrency}, GPUs paid ${est.price_per_gpu_hour}/GPU-hour ({est.price_source}), "
               f"busy {est.utilization:.0%} of the time; `tokencost selfhost --model {est.model} --gpu {est.gpu} "
               f"--precision {est.precision}` shows every assumption"],
    )


def default_models(registry: Registry, as_of: dt.date | None = None) -> list[Priced]:
    """The default comparison set: the models the price files mark ``compare = true``."""
    return [p for p in registry.models(as_of=as_of) if p.model.compare]


def compare(
    prompt: Prompt | None,
    models: Sequence[str] | None = None,
    *,
    prompt_tokens: int | None = None,
    response_tokens: int | None = None,
    response: str | None = None,
    response_ratio: float | Decimal | None = None,
    reasoning_tokens: int = 0,
    cached_tokens: int = 0,
    cache_write_tokens: int = 0,
    batch: bool = False,
    service_tier: str | None = None,
    cache_ttl: str = "5m",
    uplift: str | None = None,
    requests: int = 1,
    as_of: dt.date | None = None,
    registry: Registry | None = None,
    selfhost: bool = True,
) -> Comparison:
    """:func:`estimate` on each of ``models`` (default: the comparison set), cheapest first.

    Each tokenizer counts the prompt once, however many models share it.  The default set also has
    self-hosted Llama rows (:data:`SELFHOST_DEFAULTS`, an estimate from :mod:`tokencost.selfhost`)
    unless ``selfhost=False``, the request uses caching or batch (which they do not model), or
    ``as_of`` asks for past prices (GPU prices have no history here).
    """
    registry = registry or load_registry()
    targets = [registry.get(m, as_of=as_of) for m in models] if models else default_models(registry, as_of)
    if not targets:
        raise BadInputError("no models to compare")
    if prompt is None and prompt_tokens is None:
        raise BadInputError("give a prompt or prompt_tokens")
    if response is not None and (response_tokens is not None or response_ratio is not None):
        raise BadInputError("give one of response, response_tokens, response_ratio")
    if response is not None and not isinstance(response, str):
        raise BadInputError("a response must be text")
    options = Options(batch=batch, service_tier=service_tier, cache_ttl=cache_ttl, uplift=uplift)
    count = _Counter()
    estimates = Comparison()
    for priced in targets:
        if prompt_tokens is not None:
            p_tokens, kind, basis = prompt_tokens, "given", "prompt token count given by the caller"
        else:
            p_tokens, kind, basis = count(prompt, priced.tokenizer, priced.model.image_rule)
        r_tokens = count(response, priced.tokenizer)[0] if response is not None else response_tokens
        r_tokens = _response_tokens(p_tokens, r_tokens, response_ratio)
        usage = Usage(prompt_tokens=p_tokens, output_tokens=r_tokens, cached_tokens=cached_tokens,
                      cache_write_tokens=cache_write_tokens, reasoning_tokens=reasoning_tokens)
        estimates.append(price(priced, usage, options=options, requests=requests, count=kind, count_basis=basis))
    if selfhost and not models and prompt is not None and as_of is None and not (cached_tokens or cache_write_tokens or batch):
        estimates.extend(_selfhost_rows(prompt, response, response_tokens, response_ratio, reasoning_tokens,
                                        requests, count))
    estimates.sort(key=lambda e: (e.total_cost, e.model))
    return estimates


class _Counter:
    """Counts each (text, tokenizer, image rule) once, however many models share the tokenizer."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str, str | None], tuple[int, str, str]] = {}

    def __call__(self, what: Prompt, tokenizer: str, image_rule: str | None = None) -> tuple[int, str, str]:
        from .counting import count_prompt

        key = (id(what), tokenizer, image_rule)
        if key not in self._seen:
            self._seen[key] = count_prompt(what, tokenizer, image_rule=image_rule)
        return self._seen[key]


def _selfhost_rows(prompt, response, response_tokens, response_ratio, reasoning_tokens, requests, count):
    """The default self-hosted rows; none when the request has no response (nothing to decode)."""
    rows = []
    for config in SELFHOST_DEFAULTS:
        from .selfhost import resolve_model

        tokenizer = resolve_model(config["model"]).tokenizer
        p_tokens, kind, basis = count(prompt, tokenizer)
        r_tokens = count(response, tokenizer)[0] if response is not None else response_tokens
        r_tokens = _response_tokens(p_tokens, r_tokens, response_ratio) + reasoning_tokens
        if r_tokens > 0:
            rows.append(selfhost_estimate(p_tokens, r_tokens, config, requests=requests, count=kind, count_basis=basis))
    return rows


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


#: Percentages and ratios are rounded to this step (money itself is never rounded).
PCT = Decimal("0.0001")

ARTICLE_CLAIM = "a 10% reduction in token count can translate into up to a 15% cost saving"


def _trimmed(tokens: int, fraction: Decimal) -> int:
    return tokens - int((tokens * fraction).to_integral_value(ROUND_HALF_EVEN))


def trim_saving(
    prompt: Prompt | None,
    models: Sequence[str] | None = None,
    *,
    trim: float | Decimal = Decimal("0.10"),
    response_trim: float | Decimal = 0,
    prompt_tokens: int | None = None,
    response_tokens: int | None = None,
    cached_tokens: int = 0,
    batch: bool = False,
    requests: int = 1,
    as_of: dt.date | None = None,
    registry: Registry | None = None,
) -> list[TrimResult]:
    """The exact saving from trimming ``trim`` of the prompt's tokens on each model.

    Cached tokens are a kept prefix: the trim removes uncached tokens.  ``response_trim`` shrinks the
    response too (a shorter prompt often asks for less).  ``article_claim_reached`` says whether the
    saving is at least 1.5 times the trimmed fraction (the seed article's "10% -> up to 15%").
    """
    fraction = Decimal(str(trim))
    out_fraction = Decimal(str(response_trim))
    for name, value in (("trim", fraction), ("response trim", out_fraction)):
        if not Decimal(0) <= value < Decimal(1):
            raise BadInputError(f"{name} must be a fraction from 0 up to (not including) 1, not {value}")
    common = dict(batch=batch, requests=requests, as_of=as_of, registry=registry or load_registry())
    before_all = compare(prompt, models, prompt_tokens=prompt_tokens, response_tokens=response_tokens,
                         cached_tokens=cached_tokens, **common)
    results = []
    for before in before_all:
        after_prompt = _trimmed(before.prompt_tokens, fraction)
        if after_prompt < before.cached_tokens:
            raise BadInputError(
                f"a {fraction:%} trim of {before.prompt_tokens} tokens cuts into the {before.cached_tokens} cached tokens"
            )
        after = compare(None, [before.model], prompt_tokens=after_prompt,
                        response_tokens=_trimmed(before.response_tokens, out_fraction),
                        cached_tokens=before.cached_tokens, **common)[0]
        after = after.model_copy(update={"count": before.count, "count_basis": before.count_basis})
        saving = before.total_cost - after.total_cost
        pct = (saving * 100 / before.total_cost).quantize(PCT) if before.total_cost else Decimal(0)
        ratio = (saving / before.total_cost / fraction).quantize(PCT) if fraction and before.total_cost else None
        reached = bool(ratio is not None and ratio >= Decimal("1.5"))
        results.append(TrimResult(
            model=before.model, trim=fraction, response_trim=out_fraction, before=before, after=after,
            saving=saving, saving_pct=pct, saving_over_trim=ratio, article_claim_reached=reached,
            explanation=_explain(before, after, fraction, out_fraction, ratio),
        ))
    return results


def _explain(before: Estimate, after: Estimate, fraction: Decimal, out_fraction: Decimal,
             ratio: Decimal | None) -> str:
    if ratio is None:
        return "no trim"
    if before.tier != after.tier:
        return (f"the trim moves the request from {before.tier or 'base rates'} to {after.tier or 'base rates'}: "
                f"every token gets cheaper, so the saving exceeds the trim")
    if before.cached_tokens:
        return ("the trim removes uncached tokens, which cost more per token than the cached prefix, "
                "so the saving can exceed the trim")
    if ratio > 1:
        return "the response shrinks more than the prompt, so the saving exceeds the prompt trim"
    if out_fraction == fraction:
        return "prompt and response shrink alike under linear pricing: the saving equals the trim"
    return ("linear per-token pricing: the saving is the trim times the prompt's share of the cost, "
            "never more than the trim")
