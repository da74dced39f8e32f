"""One row builder per result type; every renderer (table, JSON, CSV, DataFrame) takes its rows.

A :class:`Rows` holds the full rows (every column: CSV, JSON, DataFrame), the few columns a
terminal table shows, the values every row shares (shown once, under the table), and notes.
A column has one name and one meaning in every format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .registry import RATE_FIELDS, Priced, per_tokens

# Rows read estimates and trim results by attribute (tokencost.results), so this module imports
# nothing from there: results.to_dataframe calls into it.
Estimate = TrimResult = Any

#: Marks an approximate token count in a table cell.
APPROX_MARK = "~"
DOCS_TOKENIZERS = "docs/tokenizers.md"


@dataclass
class Rows:
    """Rows of one result, and how a terminal shows them."""

    kind: str  # names the JSON document: tokencost.<kind>/<version>
    rows: list[dict[str, Any]]
    table_columns: list[str] | None = None  # None: every column
    notes: list[str] = field(default_factory=list)  # sentences for people, shown under the table
    meta: dict[str, Any] = field(default_factory=dict)  # JSON document fields besides rows and notes
    #: Token columns a table marks with "~" in rows whose ``count`` is "approximate".
    approximate_columns: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        """The JSON document: ``schema_version``, the metadata, the rows and the notes."""
        return {"schema_version": f"tokencost.{self.kind}/2", **self.meta, "rows": self.rows, "notes": self.notes}

    def table_rows(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The rows as a table shows them, and the columns shown."""
        columns = self.table_columns or (list(self.rows[0]) if self.rows else [])
        out = []
        for row in self.rows:
            shown = {c: row.get(c) for c in columns}
            if row.get("count") == "approximate":
                for column in self.approximate_columns:
                    if isinstance(shown.get(column), int):
                        shown[column] = f"{APPROX_MARK}{shown[column]:,}"
            out.append(shown)
        return out, columns


# --- estimates -----------------------------------------------------------------------------------


def estimate_row(e: Estimate) -> dict[str, Any]:
    """Every field of an estimate, flat: the CSV/JSON/DataFrame row."""
    rates = e.rates_per_1m
    return {
        "provider": e.provider, "model": e.model.split(":", 1)[1], "name": e.name,
        "count": e.count, "count_basis": e.count_basis, "tokenizer": e.tokenizer,
        "input_tokens": e.input_tokens, "cached_tokens": e.cached_tokens,
        "cache_write_tokens": e.cache_write_tokens, "output_tokens": e.output_tokens,
        "reasoning_tokens": e.reasoning_tokens, "requests": e.requests,
        "batch": e.batch, "service_tier": e.service_tier, "tier": e.tier,
        "currency": e.currency, "billed_in": e.billed_in, "usd_per_unit": e.usd_per_unit,
        "input_per_1m": rates.get("input"), "cache_read_per_1m": rates.get("cache_read"),
        "cache_write_per_1m": rates.get("cache_write"), "output_per_1m": rates.get("output"),
        "input_cost": e.input_cost, "cache_read_cost": e.cache_read_cost,
        "cache_write_cost": e.cache_write_cost, "output_cost": e.output_cost,
        "cost_per_request": e.cost_per_request, "total_cost": e.total_cost,
        "as_of": e.as_of, "price_effective": e.price_effective, "price_checked": e.price_checked,
        "source": e.source, "notes": "; ".join(e.notes),
    }


def estimate_rows(estimates: Sequence[Estimate], left_out: Sequence[str] = (),
                  assumptions: dict[str, Any] | None = None) -> Rows:
    """Rows of a comparison; the table shows model, tokens and cost, the rest is in the files."""
    rows = [estimate_row(e) for e in estimates]
    many = any(e.requests > 1 for e in estimates)
    columns = ["provider", "model", "input_tokens", "output_tokens"]
    columns += ["cost_per_request", "total_cost"] if many else ["total_cost"]
    table = Rows("estimate", rows, columns, meta={"assumptions": assumptions or {}, "left_out": list(left_out)},
                 approximate_columns=("input_tokens",))
    table.notes = estimate_notes(estimates, left_out)
    return table


def estimate_notes(estimates: Sequence[Estimate], left_out: Sequence[str] = ()) -> list[str]:
    """Short sentences for the table's footer: the shared values, approximations, per-model notes."""
    notes = ["Input and output costs apart, rates and sources: --format csv or json."] if estimates else []
    if estimates and all(e.output_tokens == 0 for e in estimates):
        notes.append("No response length given, so output costs are 0 and self-hosted rows are left out: "
                     "give a response length, a response text or a response ratio.")
    approx = sorted({e.tokenizer for e in estimates if e.count == "approximate"})
    for name in approx:
        notes.append(f"{APPROX_MARK} approximate count ({name}): basis and measured error in {DOCS_TOKENIZERS}")
    notes += [f"left out: {reason}" for reason in left_out]
    notes += [f"{e.model}: {n}" for e in estimates for n in e.notes]
    if estimates:
        days = sorted({e.as_of for e in estimates})
        requests = sorted({e.requests for e in estimates})
        volume = f" for {requests[0]:,} requests" if requests != [1] and len(requests) == 1 else ""
        notes.append(f"Costs in USD{volume}, at the prices in force on {', '.join(map(str, days))}; "
                     f"each price's source and check date: tokencost prices show MODEL.")
    return notes


def trim_rows(results: Sequence[TrimResult], claim: str) -> Rows:
    """One row per model of a trim what-if."""
    rows = [
        {
            "provider": r.before.provider, "model": r.before.model.split(":", 1)[1],
            "input_tokens_before": r.before.input_tokens, "input_tokens_after": r.after.input_tokens,
            "output_tokens_before": r.before.output_tokens, "output_tokens_after": r.after.output_tokens,
            "total_cost_before": r.before.total_cost, "total_cost_after": r.after.total_cost,
            "saving": r.saving, "saving_pct": r.saving_pct, "saving_over_trim": r.saving_over_trim,
            "claim_reached": r.article_claim_reached, "why": r.explanation,
        }
        for r in results
    ]
    columns = ["provider", "model", "total_cost_before", "saving_pct", "claim_reached"]
    out = Rows("trim", rows, columns, meta={"claim": claim})
    out.notes = [f"claim_reached: the saving is at least 1.5 times the trim (the article's claim: \"{claim}\")."]
    out.notes += [f"{r.before.model}: {r.explanation}" for r in results if r.article_claim_reached]
    out.notes += estimate_notes([r.before for r in results])[-1:]
    return out


# --- registry entries ------------------------------------------------------------------------


def model_rows(models: Sequence[Priced]) -> Rows:
    """One row per model: its base rates per 1K and 1M tokens, and its dates."""
    rows = [
        {
            "provider": p.provider, "model": p.id, "name": p.name, "tokenizer": p.tokenizer,
            "currency": p.currency, "input_per_1k": p.input_per_1k, "output_per_1k": p.output_per_1k,
            "input_per_1m": p.input_per_1m, "output_per_1m": p.output_per_1m,
            "context_window": p.context_window, "as_of": p.as_of, "price_effective": p.effective,
            "price_checked": p.checked, "source": p.source_text,
        }
        for p in models
    ]
    columns = ["provider", "model", "currency", "input_per_1m", "output_per_1m", "context_window", "price_checked"]
    out = Rows("models", rows, columns)
    if rows:
        out.notes = [f"Rates per 1M tokens at the prices in force on {rows[0]['as_of']}; per 1K tokens, "
                     f"sources and every rate: --format csv or json, tokencost prices show MODEL."]
    return out


def _rate_row(name: str, value: Decimal, currency: str) -> dict[str, Any]:
    return {"rate": name, "per_1k": per_tokens(value, 1_000), "per_1m": value, "currency": currency}


def price_detail(p: Priced) -> dict[str, Any]:
    """Everything about one model's price in force: rates, tiers, service tiers, uplifts, history."""
    period = p.period
    rates = [_rate_row(f, getattr(period, f), p.currency) for f in RATE_FIELDS if getattr(period, f) is not None]
    for tier in period.tiers:
        label = f"prompt > {tier.above_prompt_tokens:,} ({tier.rule})"
        rates += [_rate_row(f"{f} [{label}]", getattr(tier, f), p.currency)
                  for f in RATE_FIELDS if getattr(tier, f, None) is not None]
    for name, tier in period.service_tiers.items():
        rates += [_rate_row(f"{f} [{name}]", getattr(tier, f), p.currency)
                  for f in RATE_FIELDS if getattr(tier, f, None) is not None]
    return {
        "key": p.key, "provider": p.provider, "model": p.id, "name": p.name,
        "aliases": list(p.model.aliases), "family": p.family, "tokenizer": p.tokenizer,
        "context_window": p.context_window, "max_output_tokens": p.model.max_output_tokens,
        "deprecated": p.model.deprecated, "retired": p.model.retired,
        "reasoning_billed_as_output": p.model.reasoning, "currency": p.currency,
        "quoted_per": period.quoted_per, "as_of": p.as_of, "price_effective": p.effective,
        "price_checked": p.checked, "source": p.source_text, "rates": rates,
        "uplifts": [u.model_dump() for u in period.uplifts],
        "conversion": p.conversion.model_dump() if p.conversion else None,
        "note": " ".join(n for n in (p.model.note, period.note) if n),
        "history": [
            {"price_effective": h.effective, "input_per_1m": h.input, "output_per_1m": h.output,
             "currency": h.currency, "source": h.source, "price_checked": h.checked}
            for h in p.model.prices
        ],
    }


def count_rows(results: list[dict[str, Any]], each: bool) -> Rows:
    """Token counts per model (or per item with ``each``)."""
    columns = ["model", "source", "tokens", "exact", "tokenizer"] if each else \
        ["model", "tokenizer", "items", "tokens", "exact"]
    out = Rows("count", results, columns)
    if any(not r["exact"] for r in results):
        out.notes = [f"exact = no: approximate count; basis and measured error of each in {DOCS_TOKENIZERS} "
                     f"(or tokencost count --explain)."]
    return out
