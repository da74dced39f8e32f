"""The repriced total equals the per-request estimator summed over rows, to the last digit."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import tokencost
from tokencost.registry import load_registry
from tokencost.reprice import reprice
from tokencost.usage import Usage

RULES = Path(__file__).parent / "data" / "reprice_rules.toml"
REGISTRY = load_registry([RULES])

#: (key, first day, last day) covering tiers whole and excess, several periods, service tiers,
#: 1h cache writes, 1K units and two non-USD currencies.
MODELS = [
    ("testco:excess-2", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("testco:credits-1", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("openai:gpt-4o", dt.date(2024, 5, 13), dt.date(2025, 6, 30)),
    ("openai:gpt-5.4", dt.date(2026, 3, 5), dt.date(2026, 11, 30)),
    ("anthropic:claude-sonnet-4-5", dt.date(2025, 9, 29), dt.date(2026, 6, 30)),
    ("alibaba:qwen3-max", dt.date(2025, 9, 23), dt.date(2026, 6, 30)),
    ("databricks:databricks-gpt-oss-120b", dt.date(2026, 11, 23), dt.date(2026, 11, 30)),
]


def estimator_cost(
    key: str,
    day: dt.date,
    input_tokens: int,
    output_tokens: int,
    cached: int,
    written: int,
    reasoning: int,
    batch: bool,
    service_tier: str | None,
    ttl: str,
    requests: int,
) -> Decimal:
    """What the per-request estimator charges for ``requests`` alike requests (USD): ``tokencost.price``."""
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached,
                  cache_write_tokens=written, reasoning_tokens=reasoning, batch=batch, service_tier=service_tier,
                  cache_ttl=ttl, requests=requests)
    return tokencost.price(key, usage, as_of=day, registry=REGISTRY).total_cost


@st.composite
def traffic_row(draw):
    key, first, last = draw(st.sampled_from(MODELS))
    day = first + dt.timedelta(days=draw(st.integers(0, (last - first).days)))
    priced = REGISTRY.get(key, day)
    # Requests the model can take (the per-request estimator refuses the rest, as a provider would).
    window, most = priced.context_window, priced.model.max_output_tokens or 50_000
    prompt = draw(st.one_of(st.integers(0, min(3000, window)), st.integers(0, min(400_000, window))))
    cached = draw(st.integers(0, prompt))
    written = draw(st.integers(0, prompt - cached))
    output = draw(st.integers(0, min(50_000, most)))
    reasoning = draw(st.integers(0, output))
    lists = [(False, None), (True, None)] + [(False, t) for t in priced.period.service_tiers]
    batch, tier = draw(st.sampled_from(lists))
    ttl = draw(st.sampled_from(["5m", "1h"]))
    requests = draw(st.integers(1, 4))
    second = draw(st.integers(0, 86_399))
    stamp = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=second)
    return dict(
        key=key,
        day=day,
        stamp=stamp,
        prompt=prompt,
        cached=cached,
        written=written,
        output=output,
        reasoning=reasoning,
        batch=batch,
        tier=tier,
        ttl=ttl,
        requests=requests,
    )


def write_canonical(rows: list[dict], path: Path) -> None:
    """Rows as a canonical CSV; token columns hold the totals of the row's requests."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "timestamp",
                "model",
                "input_tokens",
                "cached_tokens",
                "cache_write_tokens",
                "cache_write_1h_tokens",
                "output_tokens",
                "reasoning_tokens",
                "requests",
                "batch",
                "service_tier",
            ]
        )
        for r in rows:
            n = r["requests"]
            w.writerow(
                [
                    r["stamp"].isoformat() + "Z",
                    r["key"],
                    r["prompt"] * n,
                    r["cached"] * n,
                    r["written"] * n,
                    r["written"] * n if r["ttl"] == "1h" else 0,
                    r["output"] * n,
                    r["reasoning"] * n,
                    n,
                    "true" if r["batch"] else "false",
                    r["tier"] or "",
                ]
            )


def expected_total(rows: list[dict]) -> Decimal:
    return sum(
        (
            estimator_cost(
                r["key"],
                r["day"],
                r["prompt"],
                r["output"],
                r["cached"],
                r["written"],
                r["reasoning"],
                r["batch"],
                r["tier"],
                r["ttl"],
                r["requests"],
            )
            for r in rows
        ),
        Decimal(0),
    )


@settings(max_examples=50, deadline=None)
@given(st.lists(traffic_row(), min_size=1, max_size=12))
def test_duckdb_total_equals_estimator(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.csv"
        write_canonical(rows, path)
        result = reprice([str(path)], registry=REGISTRY, group_by=("model",), memory_limit="256MB", threads=1)
    assert result.unpriced == [] and result.malformed == 0
    assert result.total_cost == expected_total(rows)
    by_model: dict[str, Decimal] = {}
    for r in rows:
        by_model[r["key"]] = by_model.get(r["key"], Decimal(0)) + expected_total([r])
    assert {g.key["model"]: g.total_cost for g in result.groups} == by_model


def test_tier_bands_by_hand(tmp_path):
    """excess_only: positions past each threshold at that band's rates; cached prefix first."""
    rows = [
        dict(
            key="testco:excess-2",
            day=dt.date(2025, 3, 1),
            stamp=dt.datetime(2025, 3, 1, 12),
            prompt=6000,
            cached=1500,
            written=500,
            output=100,
            reasoning=0,
            batch=False,
            tier=None,
            ttl="5m",
            requests=2,
        )
    ]
    write_canonical(rows, tmp_path / "u.csv")
    result = reprice([str(tmp_path / "u.csv")], registry=REGISTRY)
    # per request: cached 0-1000 @0.125, 1000-1500 @0.25; writes 1500-2000 @ band-1 fill (input 2.5);
    # input 2000-5000 @2.5, 5000-6000 @3.75; output 100 @5.5 (base) - per 1M tokens
    per_request = (
        Decimal(1000) * Decimal("0.125")
        + 500 * Decimal("0.25")
        + 500 * Decimal("2.5")
        + 3000 * Decimal("2.5")
        + 1000 * Decimal("3.75")
        + 100 * Decimal("5.5")
    ) / 1_000_000
    assert result.total_cost == per_request * 2 == expected_total(rows)
