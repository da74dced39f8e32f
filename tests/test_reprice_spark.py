"""Spark runs the same SQL as DuckDB: totals equal to the last digit (local[2], one session per run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tokencost.registry import load_registry
from tokencost.reprice import reprice, reprice_frame

import pyspark  # noqa: E402 - in the test extra: a missing install fails, never skips
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (.ci/run installs it)", allow_module_level=True)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "usage"
RULES = Path(__file__).parent / "data" / "reprice_rules.toml"


@pytest.fixture(scope="session")
def spark():
    from tokencost.reprice.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_totals_equal_duckdb(spark, tmp_path):

    registry = load_registry([RULES])
    sources = [str(p) for p in sorted(EXAMPLES.iterdir()) if p.suffix in (".csv", ".json", ".jsonl")]
    kw = dict(
        registry=registry,
        group_by=("model", "month"),
        what_if=["gpt-4o-mini", "testco:excess-2"],
        what_if_as_of=__import__("datetime").date(2026, 11, 1),
        what_if_selfhost=["llama-3.3-70b@h100"],
    )
    assert any(p.endswith("openai-batch-input.jsonl") for p in sources)  # prompts recounted on both engines
    duck = reprice(sources, **kw)
    sp = reprice(sources, engine="spark", **kw)
    assert sp.total_cost == duck.total_cost and sp.billed_cost == duck.billed_cost
    assert [(g.key, g.total_cost, g.requests) for g in sp.groups] == [
        (g.key, g.total_cost, g.requests) for g in duck.groups
    ]
    assert [(w.model, w.total_cost, w.basis, w.notes) for w in sp.what_if] == [
        (w.model, w.total_cost, w.basis, w.notes) for w in duck.what_if
    ]
    assert any("recounted exactly" in w.basis for w in duck.what_if)
    assert [(u.model, u.rows) for u in sp.unpriced] == [(u.model, u.rows) for u in duck.unpriced]
    assert sp.notes == duck.notes


def test_spark_dataframe_and_parquet(spark, tmp_path):
    import duckdb

    registry = load_registry([RULES])
    pq = tmp_path / "u.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{EXAMPLES / 'canonical.csv'}', all_varchar=true)) TO '{pq}' (FORMAT parquet)"
    )
    duck = reprice([str(pq)], registry=registry)
    df = spark.read.parquet(str(pq))
    from_frame = reprice_frame(df, registry=registry)
    assert from_frame.engine == "spark" and from_frame.total_cost == duck.total_cost
    assert reprice([str(pq)], registry=registry, engine="spark").total_cost == duck.total_cost


def test_spark_random_traffic_equals_estimator(spark, tmp_path):
    """Seeded random traffic over every rule (tiers, periods, lists, TTLs, currencies): Spark = estimator."""
    import datetime as dt
    import random

    from test_reprice_equality import MODELS, REGISTRY, expected_total, write_canonical

    rnd = random.Random(20261202)
    rows = []
    for _ in range(300):
        key, first, last = rnd.choice(MODELS)
        day = first + dt.timedelta(days=rnd.randint(0, (last - first).days))
        priced = REGISTRY.get(key, day)
        window, most = priced.context_window, priced.model.max_output_tokens or 50_000
        prompt = rnd.choice([rnd.randint(0, min(3000, window)), rnd.randint(0, min(400_000, window))])
        cached = rnd.randint(0, prompt)
        written = rnd.randint(0, prompt - cached)
        output = rnd.randint(0, min(50_000, most))
        batch, tier = rnd.choice([(False, None), (True, None)] + [(False, t) for t in priced.period.service_tiers])
        rows.append(
            dict(
                key=key,
                day=day,
                stamp=dt.datetime.combine(day, dt.time(13)),
                prompt=prompt,
                cached=cached,
                written=written,
                output=output,
                reasoning=rnd.randint(0, output),
                batch=batch,
                tier=tier,
                ttl=rnd.choice(["5m", "1h"]),
                requests=rnd.randint(1, 4),
            )
        )
    path = tmp_path / "traffic.csv"
    write_canonical(rows, path)
    result = reprice([str(path)], registry=REGISTRY, engine="spark")
    assert result.unpriced == [] and result.total_cost == expected_total(rows)
    assert reprice([str(path)], registry=REGISTRY).total_cost == result.total_cost
