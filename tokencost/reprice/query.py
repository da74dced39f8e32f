"""The one aggregation pass: every usage row priced and summed by the requested groups.

Grouping also by raw model, provider, resolved key, price list and ``bad_reason`` keeps the
result small (one row per distinct combination) while carrying everything the report needs:
group totals, the unpriced list with its reasons, malformed-row counts and reconciliation.
"""

from __future__ import annotations

import datetime as dt

from .rules import band_mode, cost_columns, join_on, tier_index, walk_counts

TIME_GROUPS = {"day": "day", "week": "week", "month": "month", "year": "year", "hour": "hour"}
#: ``model`` and ``provider`` are filled in afterwards from the raw spelling's registry key.
POST_GROUPS = ("model", "provider")
COLUMN_GROUPS = {
    "model": "model",
    "provider": "provider",
    "project": "project",
    "user": "user_name",
    "service_tier": "service_tier",
    "batch": "batch",
    "raw_model": "model",
}
SUMS = (
    "requests",
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "input_cost",
    "cache_read_cost",
    "cache_write_cost",
    "output_cost",
    "repriced_cost",
    "cost",
)


#: A row whose average prompt per request is longer than the model's context window: no provider
#: serves such a request, so it is not priced (the per-request estimator refuses it too).
OVER_WINDOW = "COALESCE(p_key IS NOT NULL AND input_tokens > GREATEST(requests, 1) * p_window, FALSE)"


def group_expr(name: str) -> str | None:
    if name in POST_GROUPS:
        return None
    if name in TIME_GROUPS:
        return f"CAST(date_trunc('{TIME_GROUPS[name]}', ts) AS DATE)"
    return COLUMN_GROUPS[name]


def where_clause(since: dt.date | None, until: dt.date | None) -> str:
    parts = []
    if since:
        parts.append(f"ts >= TIMESTAMP '{since.isoformat()} 00:00:00'")
    if until:
        parts.append(f"ts < TIMESTAMP '{(until + dt.timedelta(days=1)).isoformat()} 00:00:00'")
    return " AND ".join(parts) or "TRUE"


def aggregate_sql(
    n_bands: int,
    group_by: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    usage: str = "_tc_usage",
    lookup: str = "_tc_lookup",
    walk: bool = True,
) -> str:
    """Every row joined to its price list, its tokens summed per group, price list and band mode
    (the one pass over the data), then priced: token sums times rates, summed by the groups.

    ``walk=False`` (no price list has an ``excess_only`` tier) leaves out the per-band counts.
    """
    sql_groups = [g for g in group_by if group_expr(g) is not None]
    groups = [f"{group_expr(g)} AS g_{g}" for g in sql_groups]
    keys = [f"g_{g}" for g in sql_groups] + [
        "model",
        "provider",
        "batch",
        "service_tier",
        "priced",
        "over_window",
        "bad_reason",
    ]
    counts = walk_counts(n_bands) if walk and n_bands > 1 else {}
    bands = ", ".join(f"p.b{b}_above, p.b{b}_whole" for b in range(n_bands))
    approx = (
        "SUM(CASE WHEN requests > 1 AND tier_hint IS NULL AND b1_above IS NOT NULL THEN 1 ELSE 0 END)"
        if n_bands > 1
        else "CAST(0 AS BIGINT)"
    )
    tokens = [c for c in SUMS if not c.endswith("cost")]
    inner = f"""
SELECT {", ".join(keys)}, p_from, has_cost, band_mode,
  COUNT(*) AS rows_,
  {", ".join(f"SUM({c}) AS {c}" for c in tokens)},
  SUM(cost) AS cost,
  COUNT(cost) AS billed_rows,
  SUM(CASE WHEN cost IS NOT NULL AND input_tokens = 0 AND output_tokens = 0 THEN 1 ELSE 0 END) AS cost_only_rows,
  MIN(ts) AS first_ts, MAX(ts) AS last_ts,
  SUM(cache_write_1h_tokens) AS cache_write_1h_tokens,
  {approx} AS tier_approx_rows{"".join(f", SUM({expr}) AS {name}" for name, expr in counts.items())}
FROM (
  SELECT *, {band_mode(n_bands, walk)} AS band_mode
  FROM (
    SELECT *, {", ".join(groups) + "," if groups else ""}
      (p_key IS NOT NULL AND NOT over_window) AS priced, cost IS NOT NULL AS has_cost,
      {tier_index(n_bands)} AS tier_ix
    FROM (
      SELECT u.*, p.p_key, p.p_from, {bands},
        {OVER_WINDOW} AS over_window
      FROM (SELECT * FROM {usage} WHERE {where_clause(since, until)}) u
      LEFT JOIN {lookup} p ON {join_on("u", "p", "CAST(u.ts AS DATE)")}
    ) j
  ) t
) r
GROUP BY {", ".join(keys)}, p_from, has_cost, band_mode
"""
    costs = cost_columns(n_bands, walk)
    repriced = " + ".join(costs)
    sums = ",\n  ".join(f"SUM({c}) AS {c}" for c in SUMS)
    return f"""
SELECT {", ".join(keys)},
  SUM(rows_) AS rows_,
  {sums},
  SUM(billed_rows) AS billed_rows,
  SUM(CASE WHEN has_cost THEN repriced_cost END) AS repriced_billed,
  SUM(cost_only_rows) AS cost_only_rows,
  MIN(first_ts) AS first_ts, MAX(last_ts) AS last_ts,
  SUM(tier_approx_rows) AS tier_approx_rows
FROM (
  SELECT *, ({repriced}) AS repriced_cost
  FROM (
    SELECT a.*, {", ".join(f"{expr} AS {name}" for name, expr in costs.items())}
    FROM ({inner}) a
    LEFT JOIN {lookup} p ON {join_on("a", "p", None)}
  ) c
) g
GROUP BY {", ".join(keys)}
"""
