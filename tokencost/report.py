"""Rows describing registry entries, shared by the table, JSON and CSV outputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .registry import RATE_FIELDS, Priced, per_tokens


def model_rows(models: list[Priced]) -> list[dict[str, Any]]:
    """One row per model: its current base rates per 1K and 1M tokens, and the as-of date."""
    return [
        {
            "provider": p.provider,
            "model": p.id,
            "tokenizer": p.tokenizer,
            "currency": p.currency,
            "input_per_1k": p.input_per_1k,
            "output_per_1k": p.output_per_1k,
            "input_per_1m": p.input_per_1m,
            "output_per_1m": p.output_per_1m,
            "context_window": p.context_window,
            "effective": p.effective,
            "as_of": p.as_of,
        }
        for p in models
    ]


def _rate_row(name: str, value, unit: str, currency: str) -> dict[str, Any]:
    return {
        "rate": name,
        "per_1k": per_tokens(value, unit, 1_000),
        "per_1m": per_tokens(value, unit, 1_000_000),
        "currency": currency,
    }


def price_detail(p: Priced) -> dict[str, Any]:
    """Everything about one model's price in force: rates, tiers, service tiers, uplifts, history."""
    period = p.period
    rates = [_rate_row(f, getattr(period, f), period.unit, p.currency)
             for f in RATE_FIELDS if getattr(period, f) is not None]
    for tier in period.tiers:
        label = f"prompt > {tier.above_prompt_tokens:,} ({tier.rule})"
        rates += [_rate_row(f"{f} [{label}]", getattr(tier, f), period.unit, p.currency)
                  for f in RATE_FIELDS if getattr(tier, f, None) is not None]
    for name, tier in period.service_tiers.items():
        rates += [_rate_row(f"{f} [{name}]", getattr(tier, f), period.unit, p.currency)
                  for f in RATE_FIELDS if getattr(tier, f, None) is not None]
    detail: dict[str, Any] = {
        "key": p.key,
        "provider": p.provider,
        "model": p.id,
        "name": p.name,
        "aliases": list(p.model.aliases),
        "family": p.family,
        "tokenizer": p.tokenizer,
        "context_window": p.context_window,
        "max_output_tokens": p.model.max_output_tokens,
        "reasoning_billed_as_output": p.model.reasoning,
        "currency": p.currency,
        "quoted_per": period.unit,
        "effective": p.effective,
        "as_of": p.as_of,
        "source": p.source,
        "rates": rates,
        "uplifts": [u.model_dump() for u in period.uplifts],
        "conversion": p.conversion.model_dump() if p.conversion else None,
        "note": " ".join(n for n in (p.model.note, period.note) if n),
        "history": [
            {"effective": h.effective, "input_per_1m": per_tokens(h.input, h.unit, 1_000_000),
             "output_per_1m": per_tokens(h.output, h.unit, 1_000_000), "currency": h.currency,
             "source": h.source, "checked": h.checked}
            for h in p.model.prices
        ],
    }
    return detail


def estimate_rows(estimates, full: bool = False, requests_per_day: int | None = None,
                  days: int | None = None) -> list[dict[str, Any]]:
    """Rows for estimates: a short form for the table, every assumption for CSV/DataFrame."""
    rows = []
    for e in estimates:
        count = "exact" if e.count == "exact" else ("given" if e.count == "given" else "approx")
        if not full:
            row = {
                "provider": e.provider, "model": e.model.split(":", 1)[1],
                "prompt_tokens": e.prompt_tokens, "response_tokens": e.response_tokens + e.reasoning_tokens,
                "input_cost": e.input_cost + e.cache_read_cost + e.cache_write_cost,
                "output_cost": e.output_cost, "total_usd": e.total_cost, "count": count, "as_of": e.price_as_of,
            }
            if e.requests > 1:
                row = {**row, "requests": e.requests, "per_request": e.cost_per_request}
            rows.append(row)
            continue
        rates = e.rates_per_1m
        rows.append({
            "provider": e.provider, "model": e.model, "name": e.name,
            "count": count, "count_basis": e.count_basis, "tokenizer": e.tokenizer,
            "prompt_tokens": e.prompt_tokens, "cached_tokens": e.cached_tokens,
            "cache_write_tokens": e.cache_write_tokens, "response_tokens": e.response_tokens,
            "reasoning_tokens": e.reasoning_tokens,
            "currency": e.currency, "usd_per_unit": e.usd_per_unit,
            "input_rate_per_1m": rates.get("input"), "cache_read_rate_per_1m": rates.get("cache_read"),
            "cache_write_rate_per_1m": rates.get("cache_write"), "output_rate_per_1m": rates.get("output"),
            "input_cost_usd": e.input_cost, "cache_read_cost_usd": e.cache_read_cost,
            "cache_write_cost_usd": e.cache_write_cost, "output_cost_usd": e.output_cost,
            "cost_per_request_usd": e.cost_per_request,
            "requests_per_day": requests_per_day, "days": days, "requests": e.requests,
            "total_cost_usd": e.total_cost, "tier": e.tier, "batch": e.batch,
            "price_effective": e.price_effective, "price_as_of": e.price_as_of, "source": e.source,
            "notes": "; ".join(e.notes),
        })
    return rows


def trim_rows(results) -> list[dict[str, Any]]:
    """One row per model of a trim what-if."""
    return [
        {
            "provider": r.before.provider, "model": r.before.model.split(":", 1)[1],
            "prompt_before": r.before.prompt_tokens, "prompt_after": r.after.prompt_tokens,
            "total_before_usd": r.before.total_cost, "total_after_usd": r.after.total_cost,
            "saving_usd": r.saving, "saving_pct": r.saving_pct.quantize(Decimal("0.01")),
            "claim_15pct": r.article_claim_reached, "why": r.explanation,
        }
        for r in results
    ]
