"""``tokencost reprice`` end to end through click: outputs, what-if, reconciliation, errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
from click.testing import CliRunner

from tokencost.cli import cli
from tokencost.registry import load_registry
from tokencost.reprice import reprice

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "usage"
CANON = str(EXAMPLES / "canonical.csv")


def invoke(*args):
    return CliRunner().invoke(cli, ["reprice", *args])


def test_json_document_money_as_strings_and_what_if():
    out = invoke(
        CANON, "--format", "json", "--what-if", "gpt-4.1", "--what-if", "gpt-4o-mini", "--what-if-as-of", "2026-11-01"
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    lib = reprice([CANON], what_if=["gpt-4.1", "gpt-4o-mini"])
    assert doc["total_cost"] == str(lib.total_cost.normalize()) or Decimal(doc["total_cost"]) == lib.total_cost
    assert isinstance(doc["total_cost"], str) and all(
        isinstance(g["total_cost"], (str, type(None))) for g in doc["groups"]
    )
    assert [w["model"] for w in doc["what_if"]] == ["openai:gpt-4.1", "openai:gpt-4o-mini"]
    assert all(w["as_of"] == "2026-11-01" for w in doc["what_if"])
    assert [u["model"] for u in doc["unpriced"]] == ["in-house-model"]
    assert sum(Decimal(g["total_cost"]) for g in doc["groups"] if g["total_cost"]) == Decimal(doc["total_cost"])


def test_what_if_same_tokenizer_exact_other_tokenizer_approximate():
    result = reprice([str(EXAMPLES / "openai-usage.json")], what_if=["gpt-4o-mini", "claude-haiku-4-5"])
    same, other = result.what_if
    assert not same.approximate and same.basis == "same tokenizer"
    assert other.approximate and "approximate" in other.basis
    # gpt-4o and gpt-4o-mini share o200k_base: the what-if equals repricing the rows renamed
    registry = load_registry()
    mini = registry.get("gpt-4o-mini")
    rows = [(250000, 100000, 42000, 120), (4000000, 0, 500000, 2000)]
    expected = sum(
        ((i - c) * mini.rate_usd("input") + c * mini.rate_usd("cache_read") + o * mini.rate_usd("output")) / 1_000_000
        for i, c, o, _ in rows[:1]
    ) + sum(
        (i * mini.rate_usd("batch_input") + o * mini.rate_usd("batch_output")) / 1_000_000 for i, _, o, _ in rows[1:]
    )
    assert same.total_cost == expected


def test_reconciliation_flags_batch_billed_at_standard():
    result = reprice([CANON])
    flagged = {g.key["model"]: g.flag for g in result.groups if g.flag}
    assert list(flagged) == ["openai:gpt-4o-mini"] and "batch" in flagged["openai:gpt-4o-mini"]


def test_table_fits_100_columns_and_lists_unpriced():
    out = invoke(CANON, "--group-by", "model,project,user,day", "--what-if", "claude-haiku-4-5")
    assert out.exit_code == 0, out.output
    assert max(len(line) for line in out.output.splitlines()) <= 100
    assert "in-house-model" in out.output and "What if anthropic:claude-haiku-4-5" in out.output


def test_since_until_filter():
    all_rows = reprice([CANON])
    first_day = reprice([CANON], since=None, until=__import__("datetime").date(2026, 10, 1))
    assert first_day.rows == 2 and first_day.total_cost < all_rows.total_cost


def test_focus_csv_and_parquet(tmp_path):
    out = invoke(CANON, "--format", "csv")
    assert out.exit_code == 0
    header = out.output.splitlines()[0].split(",")
    for col in (
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ProviderName",
        "ResourceId",
        "ConsumedQuantity",
        "ConsumedUnit",
        "PricingUnit",
        "ListCost",
        "BilledCost",
        "BillingCurrency",
    ):
        assert col in header
    pq = tmp_path / "out.parquet"
    assert invoke(CANON, "--format", "parquet", "-o", str(pq)).exit_code == 0
    con = duckdb.connect()
    types = dict(con.execute(f"SELECT name, type FROM parquet_schema('{pq}')").fetchall())
    assert "DECIMAL" in str(con.execute(f"DESCRIBE SELECT ListCost FROM '{pq}'").fetchall()[0][1])
    total = con.execute(f"SELECT SUM(ListCost) FROM '{pq}'").fetchall()[0][0]
    assert total == reprice([CANON]).total_cost and "ConsumedUnit" in types


def test_errors_are_one_line_exit_2(tmp_path):
    for args, text in [
        ((str(tmp_path / "missing.csv"),), "does not exist"),
        ((CANON, "--column", "model=nope"), "no column 'nope'"),
        ((CANON, "--group-by", "colour"), "cannot group by"),
        ((CANON, "--format", "parquet"), "needs a file"),
    ]:
        out = invoke(*args)
        assert out.exit_code == 2 and text in out.output, (args, out.output)
    out = invoke(CANON, "--input-format", "xml")
    assert out.exit_code == 2
    out = invoke(CANON, "--strict")
    assert out.exit_code == 2 and "in-house-model" in out.output


def test_plot_png(tmp_path):
    png = tmp_path / "c.png"
    out = invoke(CANON, "--group-by", "model,month", "--what-if", "gpt-4.1", "--plot", str(png))
    assert out.exit_code == 0, out.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert invoke(CANON, "--plot", str(png)).exit_code == 2
