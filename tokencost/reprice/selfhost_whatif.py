"""What the traffic would cost on a self-hosted deployment, sized from its own hourly profile.

The deployment is ``replicas`` copies of the smallest tensor-parallel group of ``GPU`` that serves
``MODEL`` (the roofline model of :mod:`tokencost.selfhost`), enough replicas for the busiest hour of
the traffic at its average request shape, always on from the first hour of traffic to the last.
That is the simple plan: no autoscaling, no queueing model, the cheapest sourced GPU price.  Token
counts are scaled to the model's tokenizer like any what-if; the figure is always approximate.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from ..errors import BadInputError
from ..registry import Registry
from . import ratios
from .query import where_clause
from .result import WhatIf


def parse_spec(spec: str) -> tuple[str, str]:
    model, sep, gpu = spec.partition("@")
    if not sep or not model.strip() or not gpu.strip():
        raise BadInputError(f"self-hosted what-if {spec!r} must look like MODEL@GPU (e.g. llama-3.3-70b@h100)")
    return model.strip(), gpu.strip()


def what_if_selfhost(
    eng: Any, registry: Registry, spec: str, mapping: list, since: dt.date | None, until: dt.date | None
) -> WhatIf:
    from ..selfhost import estimate
    from ..selfhost.hardware import resolve_model

    model_name, gpu = parse_spec(spec)
    arch = resolve_model(model_name)
    cases, bases = [], set()
    for model, provider, key in mapping:
        if key is None:
            continue
        r, basis = ratios.ratio(registry.tokenizer_of(key), arch.tokenizer)
        bases.add(basis)
        m, p = (str(x).replace("'", "''") for x in (model, provider))
        cases.append(f"WHEN model = '{m}' AND COALESCE(provider, '') = '{p}' THEN CAST({r} AS DECIMAL(12,6))")
    if not cases:
        raise BadInputError("no row of the traffic has a known model, so its token counts cannot be carried over")
    sql = f"""
SELECT CAST(date_trunc('hour', ts) AS TIMESTAMP) AS hour, SUM(requests) AS requests,
       SUM(CAST(ROUND(input_tokens * r) AS BIGINT)) AS input_tokens,
       SUM(CAST(ROUND(output_tokens * r) AS BIGINT)) AS output_tokens
FROM (SELECT *, CASE {" ".join(cases)} END AS r FROM _tc_usage
      WHERE bad_reason IS NULL AND {where_clause(since, until)}) s
WHERE r IS NOT NULL
GROUP BY 1"""
    _, hours = eng.rows(sql)
    _, skipped = eng.rows(
        f"SELECT COUNT(*) FROM (SELECT *, CASE {' '.join(cases)} END AS r FROM _tc_usage "
        f"WHERE bad_reason IS NULL AND {where_clause(since, until)}) s WHERE r IS NULL"
    )
    if not hours:
        raise BadInputError("no traffic in the chosen period to size a self-hosted deployment for")
    requests = sum(h[1] for h in hours)
    if not requests:
        raise BadInputError("the traffic has no request counts to size a self-hosted deployment for")
    prompt = max(1, round(sum(h[2] for h in hours) / requests))
    response = max(1, round(sum(h[3] for h in hours) / requests))
    peak_rps = max(h[1] for h in hours) / 3600
    est = estimate(arch.id, gpu, prompt_tokens=prompt, response_tokens=response, utilization=Decimal(1))
    replicas = max(1, math.ceil(peak_rps / est.requests_per_s)) if est.requests_per_s else 1
    first, last = min(h[0] for h in hours), max(h[0] for h in hours)
    span = int((last - first).total_seconds() // 3600) + 1
    total = replicas * est.cost_per_hour * span
    basis = (
        f"approximate: {replicas} x {est.gpus}x {est.gpu} always on for {span} h at "
        f"${est.price_per_gpu_hour}/GPU-hour ({est.price_source}); sized for the busiest hour "
        f"({peak_rps:.3f} req/s vs {est.requests_per_s:.3f} req/s per replica at {prompt} in / {response} "
        f"out tokens per request, roofline model); token counts: {'; '.join(sorted(bases))}"
    )
    return WhatIf(f"selfhost:{arch.id}@{est.gpu}", dt.date.today(), total, True, basis, skipped[0][0])
