"""Rows describing registry entries, shared by the table, JSON and CSV outputs."""

from __future__ import annotations

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
