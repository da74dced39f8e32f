"""Self-hosted Llama rows in a comparison: a self-host configuration priced like an API.

The throughput model (:mod:`tokencost.selfhost`) turns a configuration and a request's lengths
into a cost per input and output token; this module wraps that as an :class:`Estimate` so the
self-hosted rows sit in the same table as the hosted APIs, clearly labelled as an estimate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any

from .results import Estimate
from .money import EXACT
from .usage import Usage

#: Self-hosted rows in the default comparison: Llama 3.3 70B with FP8 weights on the smallest H100
#: tensor-parallel group that fits, at the cheapest sourced H100 price, busy half the paid time.
SELFHOST_DEFAULTS: tuple[dict[str, Any], ...] = (
    {"model": "llama-3.3-70b", "gpu": "h100-sxm", "precision": "fp8", "utilization": Decimal("0.5")},
)


def selfhost_price(config: dict[str, Any], usage: Usage, count: str = "exact",
                   count_basis: str = "token counts given by the caller") -> Estimate:
    """``usage`` on a self-hosted configuration, priced from the throughput model's cost per token."""
    from . import selfhost

    est = selfhost.estimate(prompt_tokens=usage.input_tokens, response_tokens=usage.output_tokens, **config)
    with localcontext(EXACT):
        rates = {"input": est.cost_per_1k_input * 1000, "output": est.cost_per_1k_output * 1000,
                 "cache_read": None, "cache_write": None}
        input_cost = est.cost_per_1k_input * usage.input_tokens / 1000
        output_cost = est.cost_per_1k_output * usage.output_tokens / 1000
        n = usage.requests
        money = dict(input_cost=input_cost * n, cache_read_cost=Decimal(0), cache_write_cost=Decimal(0),
                     output_cost=output_cost * n, cost_per_request=input_cost + output_cost,
                     total_cost=(input_cost + output_cost) * n)
    row = est.price_row
    today = dt.date.today()
    return Estimate.model_construct(
        model=f"self-hosted:{est.model}@{est.gpus}x{est.gpu}-{est.precision} (est.)", provider="self-hosted",
        name=f"{est.model} on {est.gpus} x {est.gpu} ({est.precision}), estimate",
        tokenizer=selfhost.resolve_model(est.model).tokenizer, count=count, count_basis=count_basis,
        input_tokens=usage.input_tokens, cached_tokens=0, cache_write_tokens=0, output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens, requests=usage.requests, batch=False, service_tier=None,
        tier=None, currency="USD", billed_in="USD", usd_per_unit=Decimal(1), rates_per_1m=rates,
        as_of=today, price_effective=row.effective if row else today, price_checked=row.checked if row else today,
        source=row.source if row else est.price_source,
        notes=[f"self-hosted estimate, not a price list: {est.output_tokens_per_s:,.0f} output tokens/s predicted "
               f"at concurrency {est.concurrency}, GPUs at ${est.price_per_gpu_hour}/GPU-hour ({est.price_source}), "
               f"busy {est.utilization:.0%} of the time; `tokencost selfhost --model {est.model} --gpu {est.gpu} "
               f"--precision {est.precision}` shows every assumption"],
        **money,
    )


def selfhost_targets() -> list[tuple[str, str, Callable[[Usage, str, str], Estimate]]]:
    """``(label, tokenizer, price)`` for each default self-hosted configuration."""
    from . import selfhost

    out = []
    for config in SELFHOST_DEFAULTS:
        tokenizer = selfhost.resolve_model(config["model"]).tokenizer
        out.append((f"self-hosted:{config['model']}", tokenizer,
                    lambda usage, count, basis, config=config: selfhost_price(config, usage, count, basis)))
    return out
