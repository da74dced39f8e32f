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

Rows are priced in two steps (:mod:`tokencost.reprice.query`): per row, the band mode
(:func:`band_mode`) and, for ``excess_only`` walks only, integer counts per band
(:func:`walk_counts`); per price list and mode, token sums times the rates
(:func:`cost_columns`) - the same exact decimal as pricing every row, with one multiplication
per group instead of per row.
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


def band_mode(n_bands: int, walk: bool = True, tier: str = "tier_ix") -> str:
    """How a row's tokens meet rates: ``b`` = every token at band ``b``'s rates (base or a
    ``whole_request`` tier), ``-1`` = an ``excess_only`` tier walks the prompt through the bands.

    ``walk=False`` says no price list has an ``excess_only`` tier, so the mode is the tier itself.
    """
    if n_bands == 1 or not walk:
        return tier
    whole = " ".join(f"WHEN {tier} = {b} AND b{b}_whole THEN {b}" for b in range(1, n_bands))
    return f"(CASE WHEN {tier} = 0 THEN 0 {whole} ELSE -1 END)"


def walk_counts(n_bands: int, mode: str = "band_mode") -> dict[str, str]:
    """Column ``w{b}_{kind}`` -> SQL (an integer, NULL unless the row walks): the row's prompt
    tokens of ``kind`` billed at band ``b``'s rate.

    Counts, not money, are computed per row: a row's cost is linear in its counts, so rows of one
    price list and mode sum their counts first and are multiplied by the rates once (exact:
    decimals commute).  Rows that do not walk need no count beyond their token columns.
    """
    return {
        f"w{b}_{kind}": f"(CASE WHEN {mode} = -1 THEN {_walk_count(kind, b, n_bands)} END)"
        for kind in KINDS
        if kind != "out"
        for b in range(n_bands)
    }


def _walk_count(kind: str, b: int, n_bands: int) -> str:
    """Tokens of ``kind`` falling in band ``b`` when an ``excess_only`` tier walks the prompt."""
    lo, hi = _SEGMENTS[kind]
    band_lo = "0" if b == 0 else f"requests * b{b}_above"
    band_hi = f"COALESCE(requests * b{b + 1}_above, input_tokens)" if b + 1 < n_bands else "input_tokens"
    overlap = f"GREATEST(LEAST({hi}, {band_hi}) - GREATEST({lo}, {band_lo}), 0)"
    return overlap if b == 0 else f"(CASE WHEN b{b}_above IS NULL THEN 0 ELSE {overlap} END)"


def kind_cost(kind: str, n_bands: int, walk: bool = True, mode: str = "band_mode") -> str:
    """USD for one token kind (``in``, ``out``, ``cr``, ``cw``, ``cw1h``) of summed rows of one price
    list and mode: their token columns (sums) and :func:`walk_counts` (sums) times the rates."""
    count = _t(_count(kind))
    branches = [f"WHEN {mode} = {b} THEN {count} * b{b}_{kind}" for b in range(n_bands)]
    if walk and n_bands > 1:
        if kind == "out":
            walked = f"{count} * b0_out"
        else:
            terms = []
            for b in range(n_bands):
                term = f"{_t(f'w{b}_{kind}')} * b{b}_{kind}"
                terms.append(term if b == 0 else f"(CASE WHEN b{b}_above IS NULL THEN 0 ELSE {term} END)")
            walked = "(" + " + ".join(terms) + ")"
        branches.append(f"ELSE {walked}")
    return f"(CASE {' '.join(branches)} END)"


def cost_columns(n_bands: int, walk: bool = True) -> dict[str, str]:
    """Output column -> SQL expression: input, cache read, cache write (5m + 1h), output cost."""
    c = {k: kind_cost(k, n_bands, walk) for k in KINDS}
    return {
        "input_cost": c["in"],
        "cache_read_cost": c["cr"],
        "cache_write_cost": f"({c['cw']} + {c['cw1h']})",
        "output_cost": c["out"],
    }


def lookup_sql(prices: str = "_tc_prices", mapping: str = "_tc_model_map") -> str:
    """The price table keyed by the log's own spellings (small: spellings x price lists)."""
    return f"SELECT m.raw_model, m.raw_provider, p.* FROM {mapping} m JOIN {prices} p ON p.p_key = m.model_key"


def join_on(u: str, p: str, day: str | None) -> str:
    """The join of usage ``u`` to the lookup ``p``: spelling, price list and (``day`` given) the day."""
    cond = (
        f"{u}.model = {p}.raw_model AND COALESCE({u}.provider, '') = {p}.raw_provider"
        f" AND {p}.p_batch = {u}.batch AND {p}.p_service_tier = COALESCE({u}.service_tier, '')"
    )
    return cond + (f" AND {p}.p_from <= {day} AND {day} < {p}.p_to" if day else f" AND {p}.p_from = {u}.p_from")
