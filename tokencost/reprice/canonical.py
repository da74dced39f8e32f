"""Canonical usage rows: the columns every reader produces and every engine prices.

Token fields follow the providers' usage objects: ``input_tokens`` counts every prompt token
(cached and cache-write included), ``output_tokens`` includes reasoning.  A row is ``requests``
requests and its token counts are their totals.  ``cache_write_1h_tokens`` is the part of
``cache_write_tokens`` written with a 1-hour TTL.  ``tier_hint`` is a context-length threshold a
provider's report names for the row (Anthropic's ``context_window``); it replaces the choice by
prompt size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

#: (name, SQL type) in table order; ``source_file`` and ``line`` say where a row came from.
#: Files use ``timestamp`` and ``user``; inside the engines they are ``ts`` and ``user_name`` (no keywords).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ts", "TIMESTAMP"),
    ("model", "VARCHAR"),
    ("provider", "VARCHAR"),
    ("input_tokens", "BIGINT"),
    ("cached_tokens", "BIGINT"),
    ("cache_write_tokens", "BIGINT"),
    ("cache_write_1h_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("reasoning_tokens", "BIGINT"),
    ("requests", "BIGINT"),
    ("batch", "BOOLEAN"),
    ("service_tier", "VARCHAR"),
    ("project", "VARCHAR"),
    ("user_name", "VARCHAR"),
    ("cost", "DECIMAL(38,18)"),
    ("tier_hint", "BIGINT"),
    ("source_file", "VARCHAR"),
    ("line", "BIGINT"),
)
NAMES = tuple(name for name, _ in COLUMNS)
FILE_NAMES = tuple(
    {"ts": "timestamp", "user_name": "user"}.get(n, n) for n in NAMES if n not in ("source_file", "line")
)
TOKEN_FIELDS = (
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)
#: Service-tier spellings that mean the standard price list.
STANDARD_TIERS = {"", "default", "standard", "auto", "on_demand", "on-demand", "none"}
COST_SCALE = Decimal(1).scaleb(-18)


class Malformed(ValueError):
    """A row that cannot be priced as it stands; the message says why."""


@dataclass
class Problems:
    """Malformed rows: a count per reason and the first few places (file, line, reason)."""

    count: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, file: str, line: int, reason: str, rows: int = 1, example: bool = True) -> None:
        self.count += rows
        key = reason.split(":")[0]
        self.by_reason[key] = self.by_reason.get(key, 0) + rows
        if example and len(self.examples) < 20:
            self.examples.append((file, line, reason))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _int(value: Any, name: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise Malformed(f"bad {name}: {value!r}")
    if isinstance(value, int):
        out = value
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise Malformed(f"bad {name}: {value!r} is not a whole number") from None
        if number != number.to_integral_value():
            raise Malformed(f"bad {name}: {value!r} is not a whole number")
        out = int(number)
    if out < 0:
        raise Malformed(f"negative tokens: {name} = {out}")
    return out


def parse_timestamp(value: Any) -> dt.datetime:
    """UTC, naive: ISO-8601 text (``Z`` or an offset), a date, or epoch seconds / milliseconds."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        seconds = Decimal(str(value))
        if seconds > 10**11:  # milliseconds
            seconds /= 1000
        try:
            stamp = dt.datetime.fromtimestamp(float(seconds), dt.UTC)
        except (OverflowError, ValueError, OSError):
            raise Malformed(f"bad timestamp: {value!r}") from None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return parse_timestamp(Decimal(text))
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
        except ValueError:
            raise Malformed(f"bad timestamp: {value!r}") from None
    else:
        raise Malformed(f"bad timestamp: {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def parse_bool(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "t", "y"):
        return True
    if text in ("false", "0", "no", "f", "n"):
        return False
    raise Malformed(f"bad batch flag: {value!r}")


def parse_cost(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Malformed(f"bad cost: {value!r}") from None
    if not number.is_finite():
        raise Malformed(f"bad cost: {value!r}")
    return number.quantize(COST_SCALE)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalize(rec: dict[str, Any], file: str, line: int) -> tuple:
    """One canonical row (a tuple in :data:`COLUMNS` order) from ``rec``, or :class:`Malformed`."""
    model = _text(rec.get("model"))
    if model is None:
        raise Malformed("missing model")
    stamp = parse_timestamp(rec.get("timestamp"))
    counts = {name: _int(rec.get(name), name) for name in TOKEN_FIELDS}
    if counts["cached_tokens"] + counts["cache_write_tokens"] > counts["input_tokens"]:
        raise Malformed(
            f"cached above input: cached {counts['cached_tokens']} + cache-write "
            f"{counts['cache_write_tokens']} > input {counts['input_tokens']}"
        )
    if counts["cache_write_1h_tokens"] > counts["cache_write_tokens"]:
        raise Malformed("cache_write_1h_tokens above cache_write_tokens")
    if counts["reasoning_tokens"] > counts["output_tokens"]:
        raise Malformed(f"reasoning above output: {counts['reasoning_tokens']} > {counts['output_tokens']}")
    requests = rec.get("requests")
    requests = 1 if requests is None or requests == "" else _int(requests, "requests")
    if requests < 1 and (any(counts.values()) or rec.get("cost") in (None, "")):
        raise Malformed(f"bad requests: {requests} (a row with tokens is at least one request)")
    batch = parse_bool(rec.get("batch"))
    tier = (_text(rec.get("service_tier")) or "").lower()
    if tier == "batch":
        batch, tier = True, ""
    service_tier = None if tier in STANDARD_TIERS else tier
    hint = rec.get("tier_hint")
    provider = _text(rec.get("provider"))
    return (
        stamp,
        model,
        provider.lower() if provider else None,
        counts["input_tokens"],
        counts["cached_tokens"],
        counts["cache_write_tokens"],
        counts["cache_write_1h_tokens"],
        counts["output_tokens"],
        counts["reasoning_tokens"],
        requests,
        batch,
        service_tier,
        _text(rec.get("project")),
        _text(rec.get("user")),
        parse_cost(rec.get("cost")),
        None if hint is None else int(hint),
        file,
        line,
    )


def projection_sql(
    table: str,
    available: list[str],
    columns: dict[str, str] | None = None,
    source_file: str = "''",
    line: str = "CAST(NULL AS BIGINT)",
    dialect: str = "duckdb",
    types: dict[str, str] | None = None,
) -> str:
    """SELECT turning a table with canonical (or mapped) columns into engine columns plus ``bad_reason``.

    Portable between DuckDB and Spark SQL.  A missing optional column takes its default; a
    missing ``timestamp``, ``model``, ``input_tokens`` or ``output_tokens`` is a
    :class:`~tokencost.errors.BadInputError` raised by the caller (see :func:`missing_required`).
    """
    mapping = dict(columns or {})
    have = set(available)
    quote = "`" if dialect == "spark" else '"'

    def col(ours: str) -> str | None:
        theirs = mapping.get(ours, ours)
        return quote + theirs.replace(quote, quote * 2) + quote if theirs in have else None

    def tokens(name: str) -> str:
        c = col(name)
        return "CAST(0 AS BIGINT)" if c is None else f"COALESCE(TRY_CAST({c} AS BIGINT), CAST(0 AS BIGINT))"

    def text(name: str) -> str:
        c = col(name)
        return "CAST(NULL AS STRING)" if c is None else f"NULLIF(TRIM(CAST({c} AS STRING)), '')"

    ts = col("timestamp")
    ts_type = (types or {}).get(mapping.get("timestamp", "timestamp"), "").upper()
    if ts is not None and (ts_type.startswith("TIMESTAMP") or ts_type == "DATE"):
        ts_expr = f"CAST({ts} AS TIMESTAMP)"  # typed already (DuckDB session zone UTC)
    elif ts is not None:
        seconds = f"TRY_CAST(CAST({ts} AS STRING) AS DOUBLE)"
        seconds = f"(CASE WHEN {seconds} > 100000000000 THEN {seconds} / 1000 ELSE {seconds} END)"
        if dialect == "spark":  # TIMESTAMP is zone-aware in Spark (session zone UTC): offsets are honoured
            ts_expr = f"COALESCE(TIMESTAMP_SECONDS({seconds}), TRY_CAST({ts} AS TIMESTAMP))"
        else:  # DuckDB's TIMESTAMP cast drops offsets; TIMESTAMPTZ honours them (session zone UTC)
            ts_expr = f"CAST(COALESCE(to_timestamp({seconds}), TRY_CAST({ts} AS TIMESTAMPTZ)) AS TIMESTAMP)"
    tier = text("service_tier")
    standard = ", ".join(f"'{t}'" for t in sorted(STANDARD_TIERS))
    batch_col = col("batch")
    batch = "FALSE" if batch_col is None else f"COALESCE(TRY_CAST({batch_col} AS BOOLEAN), FALSE)"
    req = col("requests")
    cost = col("cost")
    raw_tokens = {n: col(n) for n in TOKEN_FIELDS + ("requests",)}
    unparsable = (
        " OR ".join(
            f"({c} IS NOT NULL AND TRY_CAST({c} AS BIGINT) IS NULL)" for c in raw_tokens.values() if c is not None
        )
        or "FALSE"
    )
    return f"""
SELECT *,
  CASE
    WHEN model IS NULL THEN 'missing model'
    WHEN ts IS NULL THEN 'bad timestamp'
    WHEN bad_number THEN 'bad token count'
    WHEN input_tokens < 0 OR cached_tokens < 0 OR cache_write_tokens < 0 OR cache_write_1h_tokens < 0
      OR output_tokens < 0 OR reasoning_tokens < 0 THEN 'negative tokens'
    WHEN cached_tokens + cache_write_tokens > input_tokens THEN 'cached above input'
    WHEN cache_write_1h_tokens > cache_write_tokens THEN 'cache_write_1h_tokens above cache_write_tokens'
    WHEN reasoning_tokens > output_tokens THEN 'reasoning above output'
    WHEN requests < 0 OR (requests = 0 AND (input_tokens > 0 OR output_tokens > 0)) THEN 'bad requests'
  END AS bad_reason
FROM (
  SELECT
    {"CAST(NULL AS TIMESTAMP)" if ts is None else ts_expr} AS ts,
    {text("model")} AS model,
    LOWER({text("provider")}) AS provider,
    {tokens("input_tokens")} AS input_tokens,
    {tokens("cached_tokens")} AS cached_tokens,
    {tokens("cache_write_tokens")} AS cache_write_tokens,
    {tokens("cache_write_1h_tokens")} AS cache_write_1h_tokens,
    {tokens("output_tokens")} AS output_tokens,
    {tokens("reasoning_tokens")} AS reasoning_tokens,
    {"CAST(1 AS BIGINT)" if req is None else f"COALESCE(TRY_CAST({req} AS BIGINT), CAST(1 AS BIGINT))"} AS requests,
    ({batch} OR COALESCE(LOWER({tier}) = 'batch', FALSE)) AS batch,
    CASE WHEN {tier} IS NULL OR LOWER({tier}) IN ({standard}, 'batch') THEN CAST(NULL AS STRING) ELSE LOWER({tier}) END
      AS service_tier,
    {text("project")} AS project,
    {text("user")} AS user_name,
    {"CAST(NULL AS DECIMAL(38,18))" if cost is None else f"TRY_CAST({cost} AS DECIMAL(38,18))"} AS cost,
    {"CAST(NULL AS BIGINT)" if col("tier_hint") is None else f"TRY_CAST({col('tier_hint')} AS BIGINT)"} AS tier_hint,
    {source_file} AS source_file,
    {line} AS line,
    ({unparsable}) AS bad_number
  FROM {table}
) projected
"""


REQUIRED = ("timestamp", "model", "input_tokens", "output_tokens")


def missing_required(available: list[str], columns: dict[str, str] | None, where: str) -> None:
    """Raise when a required column (after ``columns`` mapping) or a mapped header is absent."""
    from ..errors import BadInputError

    mapping = dict(columns or {})
    have = set(available)
    for ours, theirs in mapping.items():
        if theirs not in have:
            raise BadInputError(
                f"{where}: no column {theirs!r} (mapped to {ours!r}); columns are: {', '.join(sorted(have))}"
            )
    for name in REQUIRED:
        if mapping.get(name, name) not in have:
            raise BadInputError(
                f"{where}: no {name!r} column; map yours with ours=theirs (columns are: {', '.join(sorted(have))})"
            )
