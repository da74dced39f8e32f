"""Self-hosted Llama rows in a comparison: a self-host deployment priced like an API.

:func:`tokencost.selfhost.api_equivalent` turns a deployment and a request's lengths into USD rates
per 1M input and output tokens (from the throughput model and a sourced GPU price); this module
wraps them as an :class:`Estimate`, so self-hosted rows sit in the same table as the hosted APIs,
labelled as estimates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any

from .money import EXACT
from .results import Estimate
from .usage import Usage


def _key(deployment: dict[str, Any], gpus: int) -> str:
    licence = "-nim" if deployment.get("licence") else ""
    return (f"self-hosted:{deployment['model']}@{gpus}x{deployment['gpu']}-{deployment['precision']}{licence}"
            f" (est.)")


def selfhost_price(deployment: dict[str, Any], usage: Usage, count: str = "exact",
                   count_basis: str = "token counts given by the caller") -> Estimate:
    """``usage`` on a self-hosted deployment, at the throughput model's cost per token."""
    from .selfhost import api_equivalent

    d = deployment
    api = api_equivalent(d["model"], d["gpu"], d["precision"], d["utilization"], usage.input_tokens,
                         usage.output_tokens, licence=d.get("licence"))
    with localcontext(EXACT):
        input_cost = api.input_per_1m * usage.input_tokens / 1_000_000
        output_cost = api.output_per_1m * usage.output_tokens / 1_000_000
        n = usage.requests
        money = dict(input_cost=input_cost * n, cache_read_cost=Decimal(0), cache_write_cost=Decimal(0),
                     output_cost=output_cost * n, cost_per_request=input_cost + output_cost,
                     total_cost=(input_cost + output_cost) * n)
    today = dt.date.today()
    return Estimate.model_construct(
        model=_key(d, api.estimate.gpus), provider="self-hosted", name=api.name, tokenizer=api.tokenizer,
        count=count, count_basis=count_basis, input_tokens=usage.input_tokens, cached_tokens=0,
        cache_write_tokens=0, output_tokens=usage.output_tokens, reasoning_tokens=usage.reasoning_tokens,
        requests=usage.requests, batch=False, service_tier=None, tier=None, currency="USD", billed_in="USD",
        usd_per_unit=Decimal(1),
        rates_per_1m={"input": api.input_per_1m, "output": api.output_per_1m, "cache_read": None, "cache_write": None},
        as_of=today, price_effective=api.price_effective or today, price_checked=api.price_checked or today,
        source=api.price_source, notes=list(api.notes), **money,
    )


def selfhost_targets() -> list[tuple[str, str, Callable[[Usage, str, str], Estimate]]]:
    """``(label, tokenizer, price)`` for each default self-hosted deployment."""
    from .selfhost import DEFAULT_DEPLOYMENTS, resolve_model

    out = []
    for d in DEFAULT_DEPLOYMENTS:
        out.append((f"self-hosted:{d['model']}", resolve_model(d["model"]).tokenizer,
                    lambda usage, count, basis, d=d: selfhost_price(d, usage, count, basis)))
    return out
