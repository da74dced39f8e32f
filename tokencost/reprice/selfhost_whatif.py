"""What the traffic would cost on a self-hosted deployment, sized by the self-hosting plan.

The traffic's own hourly profile (requests per clock hour, zero-filled between its first and last
hour) and its mean prompt and response per request, with token counts carried to the model's
tokenizer like any what-if, go to :func:`tokencost.selfhost.plan`, restricted to the named GPU: the
plan picks precision, tensor-parallel size, concurrency and replicas for the busiest hour (headroom
for bursts, latency targets when given) at the GPU's sourced price.  The what-if is that fixed fleet
always on over the traffic's period: the plan's monthly cost scaled to the period's hours.  It is
an estimate of a model of throughput, never a measurement.  When the plan cannot run (no
deployment of the model fits, no sourced price in the tier...), the older simple sizing (replicas of
the smallest tensor-parallel group at full load) is used and the basis says why.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import BadInputError, TokencostError
from ..registry import Registry
from . import ratios
from .query import where_clause
from .result import WhatIf

#: Keyword arguments of :func:`tokencost.selfhost.plan` a repricing may pass on.
PLAN_OPTIONS = ("ttft_s", "itl_s", "price_tier", "redundancy", "precisions", "max_load", "gpu_prices")
HOURS_PER_DAY = 24
#: Plan failures after which the simple sizing is tried (the search found nothing it could price).
CANNOT_PLAN = ("does not fit", "sourced", "no price for")


def parse_spec(spec: str) -> tuple[str, str]:
    model, sep, gpu = spec.partition("@")
    if not sep or not model.strip() or not gpu.strip():
        raise BadInputError(f"self-hosted what-if {spec!r} must look like MODEL@GPU (e.g. llama-3.3-70b@h100)")
    return model.strip(), gpu.strip()


@dataclass
class Profile:
    """The traffic by clock hour, in the self-hosted model's tokens."""

    requests_by_hour: list[int | float]  # from the first hour to the last, zero-filled
    requests: int
    prompt_tokens: int  # mean per request
    response_tokens: int
    first: dt.datetime
    skipped_rows: int  # rows of models the tokenizer ratio cannot be found for
    daily_buckets: bool  # aggregated rows stamped at midnight only: each day spread over its 24 hours
    bases: set[str]

    @property
    def hours(self) -> int:
        return len(self.requests_by_hour)

    @property
    def peak_requests_per_s(self) -> float:
        return max(self.requests_by_hour) / 3600

    @property
    def mean_requests_per_s(self) -> float:
        return self.requests / 3600 / self.hours


def hourly_profile(
    eng: Any, registry: Registry, tokenizer: str, mapping: list, since: dt.date | None, until: dt.date | None
) -> Profile:
    """Requests per hour and mean tokens per request of the traffic, computed by the engine."""
    cases, bases = [], set()
    for model, provider, key in mapping:
        if key is None:
            continue
        r, basis = ratios.ratio(registry.tokenizer_of(key), tokenizer)
        bases.add(basis)
        m, p = (str(x).replace("'", "''") for x in (model, provider))
        cases.append(f"WHEN model = '{m}' AND COALESCE(provider, '') = '{p}' THEN CAST({r} AS DECIMAL(12,6))")
    if not cases:
        raise BadInputError("no row of the traffic has a known model, so its token counts cannot be carried over")
    scaled = (
        f"(SELECT *, CASE {' '.join(cases)} END AS r FROM _tc_usage "
        f"WHERE bad_reason IS NULL AND {where_clause(since, until)}) s"
    )
    _, hours = eng.rows(f"""
SELECT CAST(date_trunc('hour', ts) AS TIMESTAMP) AS hour, SUM(requests) AS requests,
       SUM(CAST(ROUND(input_tokens * r) AS BIGINT)) AS input_tokens,
       SUM(CAST(ROUND(output_tokens * r) AS BIGINT)) AS output_tokens
FROM {scaled} WHERE r IS NOT NULL GROUP BY 1""")
    _, ((skipped, aggregated, off_midnight),) = eng.rows(f"""
SELECT SUM(CASE WHEN r IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN r IS NOT NULL AND requests > 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN r IS NOT NULL AND CAST(date_trunc('day', ts) AS TIMESTAMP) <> ts THEN 1 ELSE 0 END)
FROM {scaled}""")
    if not hours:
        raise BadInputError("no traffic in the chosen period to size a self-hosted deployment for")
    requests = int(sum(h[1] or 0 for h in hours))
    if not requests:
        raise BadInputError("the traffic has no request counts to size a self-hosted deployment for")
    daily = bool(aggregated) and not off_midnight
    by_hour = {h[0]: int(h[1] or 0) for h in hours}
    first, last = min(by_hour), max(by_hour)
    if daily:  # a day's bucket spread evenly over its 24 hours
        days = (last - first).days + 1
        profile: list[int | float] = [
            by_hour.get(first + dt.timedelta(days=d), 0) / HOURS_PER_DAY for d in range(days) for _ in range(24)
        ]
    else:
        span = int((last - first).total_seconds() // 3600) + 1
        profile = [by_hour.get(first + dt.timedelta(hours=h), 0) for h in range(span)]
    return Profile(
        requests_by_hour=profile,
        requests=requests,
        prompt_tokens=round(sum(h[2] or 0 for h in hours) / requests),
        response_tokens=max(1, round(sum(h[3] or 0 for h in hours) / requests)),
        first=first,
        skipped_rows=int(skipped or 0),
        daily_buckets=daily,
        bases=bases,
    )


def what_if_selfhost(
    eng: Any,
    registry: Registry,
    spec: str,
    mapping: list,
    since: dt.date | None,
    until: dt.date | None,
    options: dict[str, Any] | None = None,
) -> WhatIf:
    from ..selfhost.hardware import resolve_model
    from ..selfhost.plan import Demand, plan

    options = dict(options or {})
    unknown = sorted(set(options) - set(PLAN_OPTIONS))
    if unknown:
        raise BadInputError(f"unknown self-hosting option(s) {', '.join(unknown)}; known: {', '.join(PLAN_OPTIONS)}")
    model_name, gpu = parse_spec(spec)
    arch = resolve_model(model_name)
    prof = hourly_profile(eng, registry, arch.tokenizer, mapping, since, until)
    notes = []
    if prof.daily_buckets:
        notes.append(
            "the rows are daily buckets (aggregated, stamped at midnight): each day's requests are spread "
            "evenly over its 24 hours, so the busiest hour is a daily average; export hourly buckets to "
            "size for the real peak"
        )
    demand = Demand(
        requests_per_s_by_hour=[n / 3600 for n in prof.requests_by_hour],
        prompt_tokens=prof.prompt_tokens,
        response_tokens=prof.response_tokens,
        source=f"the repriced traffic: {prof.hours} hours from {prof.first:%Y-%m-%d %H:00} UTC",
    )
    counts = "; ".join(sorted(prof.bases))
    try:
        p = plan(
            arch.id,
            prompt_tokens=prof.prompt_tokens,
            response_tokens=prof.response_tokens,
            traffic=demand,
            gpus=[gpu],
            registry=registry,
            **options,
        )
    except TokencostError as exc:
        if not any(k in str(exc) for k in CANNOT_PLAN):
            raise  # a bad option or GPU name: the user's to fix, not a reason to size another way
        try:
            return _simple(arch, gpu, prof, counts, str(exc), notes)
        except TokencostError:
            raise exc from None
    # the fleet is sized for the peak and always on: GPU-hours over the period are exact integers
    gpu_hours = p.replicas * p.gpus_per_replica * prof.hours
    total = gpu_hours * p.price_per_gpu_hour
    deployment = f"{p.replicas} x {p.gpus_per_replica}x {p.gpu} {p.precision}"
    targets = ", ".join(
        t
        for t in (
            p.ttft_target_s and f"TTFT <= {p.ttft_target_s:g} s",
            p.itl_target_s and f"ITL <= {p.itl_target_s:g} s",
        )
        if t
    )
    basis = (
        f"estimate (self-hosting plan, roofline model): {deployment} (concurrency {p.concurrency} per replica), "
        f"always on for {prof.hours:,} h at ${p.price_per_gpu_hour}/GPU-hour ({p.price_tier}: {p.price_source}); "
        f"the plan's ${p.monthly_cost}/month x {prof.hours:,}/730 h; sized for the busiest hour "
        f"({prof.peak_requests_per_s:.3f} req/s, mean {prof.mean_requests_per_s:.3f}, utilization "
        f"{p.utilization if p.utilization is not None else '?'}) at {p.prompt_tokens} in / {p.response_tokens} "
        f"out tokens per request; latency targets: {targets or 'none'}"
        f"{'' if p.meets_targets else ' (not met: closest deployment shown)'}; token counts: {counts}"
    )
    notes += [f"plan: {n}" for n in p.notes]
    return _whatif(f"{arch.id}@{p.gpu}", total, basis, prof, notes, deployment, p.monthly_cost)


def _whatif(label: str, total: Decimal, basis: str, prof: Profile, notes: list[str], deployment: str,
            monthly_cost: Decimal) -> WhatIf:
    """A self-hosted what-if result (always approximate: the deployment is an estimate)."""
    return WhatIf(f"selfhost:{label}", dt.date.today(), total, True, basis, prof.skipped_rows, notes,
                  deployment=deployment, monthly_cost=monthly_cost, period_hours=prof.hours)


def _simple(arch: Any, gpu: str, prof: Profile, counts: str, why: str, notes: list[str]) -> WhatIf:
    """The fallback when the plan cannot run: replicas of the smallest group that serves the model, at
    full load, enough for the busiest hour (the first implementation's sizing)."""
    from ..selfhost import estimate
    from ..selfhost.cost import HOURS_PER_MONTH

    est = estimate(
        arch.id,
        gpu,
        prompt_tokens=max(1, prof.prompt_tokens),
        response_tokens=prof.response_tokens,
        utilization=Decimal(1),
    )
    if est.cost_per_hour is None:
        raise BadInputError(why)
    peak = prof.peak_requests_per_s
    replicas = max(1, math.ceil(peak / est.requests_per_s)) if est.requests_per_s else 1
    total = replicas * est.cost_per_hour * prof.hours
    deployment = f"{replicas} x {est.gpus}x {est.gpu} {est.precision}"
    basis = (
        f"approximate, simple sizing because the self-hosting plan could not run ({why}): {deployment} always "
        f"on for {prof.hours:,} h at ${est.price_per_gpu_hour}/GPU-hour ({est.price_source}); sized for the "
        f"busiest hour ({peak:.3f} req/s vs {est.requests_per_s:.3f} req/s per replica at full load, "
        f"{prof.prompt_tokens} in / {prof.response_tokens} out tokens per request); token counts: {counts}"
    )
    return _whatif(f"{arch.id}@{est.gpu}", total, basis, prof, notes, deployment,
                   replicas * est.cost_per_hour * HOURS_PER_MONTH)
