"""Spark runs the same SQL as DuckDB: totals equal to the last digit (local[2], one session per run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (.ci/run installs it)", allow_module_level=True)

from tokencost.registry import load_registry  # noqa: E402
from tokencost.reprice import reprice, reprice_frame  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "usage"
RULES = Path(__file__).parent / "data" / "reprice_rules.toml"


@pytest.fixture(scope="session")
def spark():
    from tokencost.reprice.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_totals_equal_duckdb(spark, tmp_path):
    from tests.test_reprice_equality import MODELS  # noqa: F401 - same registry file

    registry = load_registry([RULES])
    sources = [str(p) for p in sorted(EXAMPLES.iterdir()) if p.suffix in (".csv", ".json", ".jsonl")]
    kw = dict(registry=registry, group_by=("model", "month"), what_if=["gpt-4o-mini", "testco:excess-2"],
              what_if_as_of=__import__("datetime").date(2026, 11, 1))
    duck = reprice(sources, **kw)
    sp = reprice(sources, engine="spark", **kw)
    assert sp.total_cost == duck.total_cost and sp.billed_cost == duck.billed_cost
    assert [(g.key, g.total_cost, g.requests) for g in sp.groups] == [(g.key, g.total_cost, g.requests)
                                                                       for g in duck.groups]
    assert [(w.model, w.total_cost) for w in sp.what_if] == [(w.model, w.total_cost) for w in duck.what_if]
    assert [(u.model, u.rows) for u in sp.unpriced] == [(u.model, u.rows) for u in duck.unpriced]


def test_spark_dataframe_and_parquet(spark, tmp_path):
    import duckdb

    registry = load_registry([RULES])
    pq = tmp_path / "u.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{EXAMPLES / 'canonical.csv'}', all_varchar=true)) "
               f"TO '{pq}' (FORMAT parquet)")
    duck = reprice([str(pq)], registry=registry)
    df = spark.read.parquet(str(pq))
    from_frame = reprice_frame(df, registry=registry)
    assert from_frame.engine == "spark" and from_frame.total_cost == duck.total_cost
    assert reprice([str(pq)], registry=registry, engine="spark").total_cost == duck.total_cost
