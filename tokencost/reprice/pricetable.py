"""The registry's price history as one flat table, one row per (model, price period, price list).

A row holds, for every context-length band of its period (band 0 = base rates, band ``b`` =
the period's ``b``-th tier), the USD rate per token of each token kind, already resolved for
its price list (standard, batch or a named service tier) by the reference rules in
:mod:`tokencost.pricing_rules` - so the SQL never re-implements which rate applies, only how
tokens meet rates.  Rates are exact ``Decimal`` and fit ``DECIMAL(20, 18)``; a rate that does
not is an error, never a rounding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..errors import BadInputError
from ..registry import Priced, Registry

ONE_M = Decimal(1_000_000)
#: Scale of per-token rates in SQL (``DECIMAL(RATE_PRECISION, RATE_SCALE)``).
RATE_PRECISION, RATE_SCALE = 20, 18
#: The latest date a price period can be in force to (an open-ended period ends here).
FAR_FUTURE = dt.date(9999, 12, 31)
KINDS = ("in", "out", "cr", "cw", "cw1h")


@dataclass(frozen=True)
class PriceRow:
    """One price list of one model over ``[effective_from, effective_to)``."""

    key: str
    provider: str
    tokenizer: str
    effective_from: dt.date
    effective_to: dt.date
    batch: bool
    service_tier: str  # "" for the standard list
    currency: str
    usd_per_unit: Decimal
    source: str
    #: ``bands[b]`` = (above_prompt_tokens or 0, whole_request?, {kind: USD per token})
    bands: tuple[tuple[int, bool, dict[str, Decimal]], ...]
    notes: tuple[str, ...]
    #: the model's context window (prompt tokens per request); a longer average prompt is not priced
    context_window: int = 0


def _per_token_usd(rate_per_1m: Decimal, usd: Decimal, where: str) -> Decimal:
    value = rate_per_1m * usd / ONE_M
    exact = value.quantize(Decimal(1).scaleb(-RATE_SCALE))
    if exact != value or abs(value) >= 10 ** (RATE_PRECISION - RATE_SCALE):
        raise BadInputError(f"{where}: rate {rate_per_1m} per 1M does not fit {RATE_SCALE} decimal places per token")
    return exact


def _lists(priced: Priced) -> list[tuple[bool, str]]:
    return [(False, ""), (True, "")] + [(False, name) for name in sorted(priced.period.service_tiers)]


def price_rows(priced: Priced, effective_to: dt.date) -> list[PriceRow]:
    """Every price list of one model's price period, as :class:`PriceRow`s."""
    # The reference rules (and their pydantic usage model) load on first use, not on import.
    from ..pricing_rules import _fill_missing, _rate_table
    from ..usage import Usage

    every_kind = Usage(input_tokens=3, cached_tokens=1, cache_write_tokens=1)  # every kind used: fill every gap
    period = priced.period
    try:
        usd = priced.usd_per_unit
    except BadInputError:
        return []  # no conversion to USD: the model's rows are reported unpriced with this reason
    rows = []
    for batch, service in _lists(priced):
        notes: list[str] = []
        bands = []
        for tier in (None, *period.tiers):
            kinds: dict[str, Decimal] = {}
            for ttl in ("5m", "1h"):
                tier_notes: list[str] = []
                opts = Usage(batch=batch, service_tier=service or None, cache_ttl=ttl)
                rates = _fill_missing(_rate_table(priced, tier, opts, tier_notes), every_kind, tier_notes)
                if tier is None:
                    notes.extend(n for n in tier_notes if n not in notes)
                where = f"{priced.key} ({period.effective})"
                if ttl == "5m":
                    kinds.update(
                        {
                            "in": _per_token_usd(rates["input"], usd, where),
                            "out": _per_token_usd(rates["output"], usd, where),
                            "cr": _per_token_usd(rates["cache_read"], usd, where),
                            "cw": _per_token_usd(rates["cache_write"], usd, where),
                        }
                    )
                else:
                    kinds["cw1h"] = _per_token_usd(rates["cache_write"], usd, where)
            above = 0 if tier is None else tier.above_prompt_tokens
            bands.append((above, tier is None or tier.rule == "whole_request", kinds))
        rows.append(
            PriceRow(
                priced.key,
                priced.provider,
                priced.tokenizer,
                period.effective,
                effective_to,
                batch,
                service,
                period.currency,
                usd,
                period.source,
                tuple(bands),
                tuple(notes),
                priced.context_window,
            )
        )
    return rows


def build_price_rows(registry: Registry, keys: list[str] | None = None) -> list[PriceRow]:
    """The whole price history of ``keys`` (every model when ``None``)."""
    out: list[PriceRow] = []
    for key in keys if keys is not None else registry.keys():
        for priced, end in registry.history(key):
            out.extend(price_rows(priced, end or FAR_FUTURE))
    return out


def max_bands(rows: list[PriceRow]) -> int:
    return max((len(r.bands) for r in rows), default=1)


def walks(rows: list[PriceRow]) -> bool:
    """Whether any price list has an ``excess_only`` tier (its prompts walk the bands)."""
    return any(not whole for r in rows for _, whole, _ in r.bands[1:])


def price_columns(n_bands: int) -> list[tuple[str, str]]:
    """Column names and SQL types of the flat price table with ``n_bands`` bands."""
    rate = f"DECIMAL({RATE_PRECISION},{RATE_SCALE})"
    cols = [
        ("p_key", "VARCHAR"),
        ("p_tokenizer", "VARCHAR"),
        ("p_from", "DATE"),
        ("p_to", "DATE"),
        ("p_batch", "BOOLEAN"),
        ("p_service_tier", "VARCHAR"),
        ("p_window", "BIGINT"),
    ]
    for b in range(n_bands):
        cols += [(f"b{b}_above", "BIGINT"), (f"b{b}_whole", "BOOLEAN")]
        cols += [(f"b{b}_{k}", rate) for k in KINDS]
    return cols


def flat_records(rows: list[PriceRow], n_bands: int) -> list[tuple]:
    """The price rows as tuples in :func:`price_columns` order (absent bands are NULL)."""
    out = []
    for r in rows:
        rec: list = [r.key, r.tokenizer, r.effective_from, r.effective_to, r.batch, r.service_tier, r.context_window or None]
        for b in range(n_bands):
            if b < len(r.bands):
                above, whole, kinds = r.bands[b]
                rec += [above, whole] + [kinds[k] for k in KINDS]
            else:
                rec += [None] * (2 + len(KINDS))
        out.append(tuple(rec))
    return out
