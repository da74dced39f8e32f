"""The pricing rules as SQL expressions over canonical usage columns joined to the price table.

Written once, run by DuckDB and Spark SQL alike (only ``CASE``, ``LEAST``, ``GREATEST``,
``COALESCE`` and ``CAST ... AS DECIMAL``).  Same arithmetic as
:func:`tokencost.pricing_rules.charge`:

* a row is ``requests`` alike requests whose token counts are the row's totals, so the
  context tier is chosen by the prompt per request (``input_tokens > requests * threshold``,
  all integers) unless the row names its tier (``tier_hint``, a provider's own report);
* ``whole_request`` tiers bill every token at the tier's rates; ``excess_only`` tiers walk the
  prompt's positions through the bands (cached prefix, then cache writes 5m and 1h, then
  ordinary input), with band edges scaled by ``requests``; output stays at base rates;
* rates per token are already USD and already resolved for batch or the service tier.
"""

from __future__ import annotations

from .pricetable import KINDS

TOKENS = "DECIMAL(18,0)"


def _t(expr: str) -> str:
    return f"CAST({expr} AS {TOKENS})"


def tier_index(n_bands: int) -> str:
    """The chosen band: 0 for base rates, ``b`` for the highest tier the prompt is past."""
    by_hint = " ".join(
        f"WHEN b{b}_above IS NOT NULL AND b{b}_above <= tier_hint THEN {b}" for b in range(n_bands - 1, 0, -1)
    )
    by_size = " ".join(
        f"WHEN b{b}_above IS NOT NULL AND input_tokens > requests * b{b}_above THEN {b}"
        for b in range(n_bands - 1, 0, -1)
    )
    if n_bands == 1:
        return "0"
    return f"(CASE WHEN tier_hint IS NOT NULL THEN (CASE {by_hint} ELSE 0 END) ELSE (CASE {by_size} ELSE 0 END) END)"


# Token segments of the prompt, in cached-prefix order: (kind, start, end) as SQL.
_SEGMENTS = {
    "cr": ("0", "cached_tokens"),
    "cw": ("cached_tokens", "(cached_tokens + cache_write_tokens - cache_write_1h_tokens)"),
    "cw1h": ("(cached_tokens + cache_write_tokens - cache_write_1h_tokens)", "(cached_tokens + cache_write_tokens)"),
    "in": ("(cached_tokens + cache_write_tokens)", "input_tokens"),
}


def _count(kind: str) -> str:
    if kind == "out":
        return "output_tokens"
    lo, hi = _SEGMENTS[kind]
    return f"({hi} - {lo})"


def _walk(kind: str, n_bands: int) -> str:
    if kind == "out":
        return f"{_t('output_tokens')} * b0_out"
    lo, hi = _SEGMENTS[kind]
    terms = []
    for b in range(n_bands):
        band_lo = "0" if b == 0 else f"requests * b{b}_above"
        band_hi = f"COALESCE(requests * b{b + 1}_above, input_tokens)" if b + 1 < n_bands else "input_tokens"
        overlap = f"GREATEST(LEAST({hi}, {band_hi}) - GREATEST({lo}, {band_lo}), 0)"
        term = f"{_t(overlap)} * b{b}_{kind}"
        terms.append(term if b == 0 else f"(CASE WHEN b{b}_above IS NULL THEN 0 ELSE {term} END)")
    return "(" + " + ".join(terms) + ")"


def kind_cost(kind: str, n_bands: int, tier: str = "tier_ix") -> str:
    """USD for one token kind (``in``, ``out``, ``cr``, ``cw``, ``cw1h``) of a row."""
    branches = [f"WHEN {tier} = 0 THEN {_t(_count(kind))} * b0_{kind}"]
    for b in range(1, n_bands):
        branches.append(f"WHEN {tier} = {b} AND b{b}_whole THEN {_t(_count(kind))} * b{b}_{kind}")
    return f"(CASE {' '.join(branches)} ELSE {_walk(kind, n_bands)} END)"


def cost_columns(n_bands: int, tier: str = "tier_ix") -> dict[str, str]:
    """Output column -> SQL expression: input, cache read, cache write (5m + 1h), output cost."""
    c = {k: kind_cost(k, n_bands, tier) for k in KINDS}
    return {
        "input_cost": c["in"],
        "cache_read_cost": c["cr"],
        "cache_write_cost": f"({c['cw']} + {c['cw1h']})",
        "output_cost": c["out"],
    }


def lookup_sql(prices: str = "_tc_prices", mapping: str = "_tc_model_map") -> str:
    """The price table keyed by the log's own spellings (small: spellings x price lists)."""
    return f"SELECT m.raw_model, m.raw_provider, p.* FROM {mapping} m JOIN {prices} p ON p.p_key = m.model_key"


def priced_select(n_bands: int, usage: str, lookup: str) -> str:
    """SELECT pricing every row of ``usage`` (canonical columns) at its timestamp.

    ``lookup`` is :func:`lookup_sql`'s table: one join on the spelling, the day and the price list.
    Unmatched rows keep NULL costs: the caller lists them as unpriced, never as $0.
    """
    costs = cost_columns(n_bands)
    total = " + ".join(costs)
    return f"""
WITH joined AS (
  SELECT u.*, p.*
  FROM {usage} u
  LEFT JOIN {lookup} p
    ON u.model = p.raw_model AND COALESCE(u.provider, '') = p.raw_provider
   AND p.p_from <= CAST(u.ts AS DATE) AND CAST(u.ts AS DATE) < p.p_to
   AND p.p_batch = u.batch AND p.p_service_tier = COALESCE(u.service_tier, '')
), tiered AS (
  SELECT *, {tier_index(n_bands)} AS tier_ix FROM joined
), costed AS (
  SELECT *, {", ".join(f"{expr} AS {name}" for name, expr in costs.items())} FROM tiered
)
SELECT *, ({total}) AS repriced_cost FROM costed
"""
