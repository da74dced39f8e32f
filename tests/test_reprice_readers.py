"""Every export format reads to the same canonical rows a hand-written canonical file gives."""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tokencost.errors import BadInputError
from tokencost.registry import load_registry
from tokencost.reprice import reprice
from tokencost.reprice.sources import detect, expand

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "usage"
REGISTRY = load_registry()
HEADER = [
    "timestamp",
    "model",
    "provider",
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


def canonical(tmp_path: Path, rows: list[list]) -> str:
    path = tmp_path / f"same{len(list(tmp_path.glob('same*.csv')))}.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return str(path)


def run(path, **kw):
    return reprice([str(path)], registry=REGISTRY, **kw)


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("canonical.csv", "canonical"),
        ("openai-usage.json", "openai-usage"),
        ("openai-batch-output.jsonl", "openai-batch"),
        ("openai-batch-input.jsonl", "openai-batch-input"),
        ("anthropic-usage.json", "anthropic-usage"),
        ("anthropic-cost.json", "anthropic-cost"),
        ("litellm-spend.json", "litellm-spend"),
        ("otel-spans.json", "otel"),
        ("claude-code-session.jsonl", "claude-code"),
    ],
)
def test_format_detected_from_content(name, fmt):
    assert detect(expand([str(EXAMPLES / name)])[0])[0] == fmt


def test_openai_usage_buckets(tmp_path):
    same = canonical(
        tmp_path,
        [
            ["2026-10-01T00:00:00Z", "gpt-4o-2024-08-06", "openai", 250000, 100000, 0, 0, 42000, 0, 120, "false", ""],
            ["2026-10-01T00:00:00Z", "gpt-4o-mini-2024-07-18", "openai", 4000000, 0, 0, 0, 500000, 0, 2000, "true", ""],
        ],
    )
    assert run(EXAMPLES / "openai-usage.json").total_cost == run(same).total_cost > 0


def test_openai_batch_output_at_batch_rates_failed_request_skipped(tmp_path):
    same = canonical(
        tmp_path,
        [
            ["2026-10-01T01:00:00Z", "gpt-4o-mini", "openai", 1200, 0, 0, 0, 300, 0, 1, "true", ""],
            ["2026-10-01T01:01:00Z", "gpt-4o-mini", "openai", 800, 0, 0, 0, 120, 0, 1, "true", ""],
        ],
    )
    result = run(EXAMPLES / "openai-batch-output.jsonl")
    assert result.rows == 2 and result.total_cost == run(same).total_cost
    standard = canonical(tmp_path, [["2026-10-01T01:00:00Z", "gpt-4o-mini", "", 2000, 0, 0, 0, 420, 0, 2, "", ""]])
    assert result.total_cost * 2 == run(standard).total_cost  # batch is half price for this model


def test_anthropic_usage_report_cache_ttls_batch_and_context_window(tmp_path):
    path = tmp_path / "hinted.csv"
    path.write_text(
        ",".join(HEADER) + ",tier_hint\n"
        "2026-10-01T00:00:00Z,claude-sonnet-4-5,anthropic,800000,600000,50000,10000,35000,0,1,,,0\n"
        "2026-10-01T00:00:00Z,claude-sonnet-4-5,anthropic,900000,0,0,0,20000,0,1,true,,200000\n"
    )
    report = run(EXAMPLES / "anthropic-usage.json")
    # buckets carry no request count: the tier is the report's context_window, not the bucket's size
    assert report.total_cost == run(path).total_cost
    by_size = canonical(
        tmp_path,
        [
            [
                "2026-10-01T00:00:00Z",
                "claude-sonnet-4-5",
                "anthropic",
                800000,
                600000,
                50000,
                10000,
                35000,
                0,
                1,
                "",
                "",
            ],
            ["2026-10-01T00:00:00Z", "claude-sonnet-4-5", "anthropic", 900000, 0, 0, 0, 20000, 0, 1, "true", ""],
        ],
    )
    assert report.total_cost < run(by_size).total_cost


def test_anthropic_cost_report_is_billed_cost_in_dollars():
    result = run(EXAMPLES / "anthropic-cost.json")
    assert result.billed_cost == Decimal("1.7925")
    assert result.groups[0].flag  # billed cost with no usage rows: flagged, not silently matched


def test_litellm_spend_logs(tmp_path):
    same = canonical(
        tmp_path,
        [
            ["2026-10-01T09:00:00Z", "gpt-4o", "openai", 1000, 400, 0, 0, 300, 0, 1, "", ""],
            ["2026-10-01T09:05:00Z", "claude-sonnet-4-5-20250929", "anthropic", 1600, 1000, 400, 0, 100, 0, 1, "", ""],
        ],
    )
    result = run(EXAMPLES / "litellm-spend.json")
    assert result.total_cost == run(same).total_cost
    assert result.billed_cost == Decimal("0.00895")


def test_otel_spans(tmp_path):
    same = canonical(
        tmp_path,
        [
            ["2026-10-01T09:00:00Z", "gpt-4o-2024-08-06", "openai", 2400, 1024, 0, 0, 350, 0, 1, "", ""],
            ["2026-10-01T09:01:00Z", "claude-haiku-4-5", "anthropic", 5000, 0, 3000, 0, 200, 0, 1, "", ""],
        ],
    )
    assert run(EXAMPLES / "otel-spans.json").total_cost == run(same).total_cost


def test_claude_code_keeps_last_chunk_per_message(tmp_path):
    same = canonical(
        tmp_path,
        [
            ["2026-10-01T10:00:05Z", "claude-sonnet-4-5", "anthropic", 18004, 12000, 6000, 0, 180, 0, 1, "", ""],
            ["2026-10-01T10:01:00Z", "claude-sonnet-4-5", "anthropic", 18510, 18000, 500, 0, 40, 0, 1, "", ""],
        ],
    )
    result = run(EXAMPLES / "claude-code-session.jsonl")
    assert result.rows == 2 and result.total_cost == run(same).total_cost


def test_gzip_folder_glob_and_stdin_read_the_same(tmp_path, monkeypatch):
    src = EXAMPLES / "canonical.csv"
    gz = tmp_path / "dir" / "u.csv.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(src.read_bytes()))
    plain = run(src).total_cost
    assert run(gz).total_cost == plain
    assert reprice([str(tmp_path / "dir")], registry=REGISTRY).total_cost == plain
    assert reprice([str(tmp_path / "dir" / "*.gz")], registry=REGISTRY).total_cost == plain
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(src.read_bytes()))))
    assert reprice(["-"], registry=REGISTRY).total_cost == plain


def test_malformed_rows_counted_by_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"timestamp": "2026-10-01T00:00:00Z", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}
    lines = [
        good,
        {**good, "input_tokens": -1},
        {**good, "cached_tokens": 50},
        {**good, "timestamp": "yesterday"},
        {**good, "model": ""},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n")
    result = run(path)
    assert result.rows == 1 and result.malformed == 5
    assert [(line, reason.split(":")[0]) for _, line, reason in result.malformed_examples] == [
        (2, "negative tokens"),
        (3, "cached above input"),
        (4, "bad timestamp"),
        (5, "missing model"),
        (6, "not valid JSON"),
    ]
    with pytest.raises(BadInputError, match="line 2: negative tokens"):
        run(path, strict=True)


def test_unpriced_listed_never_zero_and_strict_fails(tmp_path):
    path = canonical(
        tmp_path,
        [
            ["2026-10-01T00:00:00Z", "gpt-4o", "", 1000, 0, 0, 0, 10, 0, 1, "", ""],
            ["2026-10-01T00:00:00Z", "no-such-model-x", "", 500, 0, 0, 0, 10, 0, 3, "", ""],
            ["2020-01-01T00:00:00Z", "gpt-4o", "", 500, 0, 0, 0, 10, 0, 1, "", ""],
            ["2026-10-01T00:00:00Z", "gpt-4.1", "", 500, 0, 0, 0, 10, 0, 1, "", "flex"],
        ],
    )
    result = run(path)
    listed = {(u.model, u.rows, u.input_tokens): u.reason for u in result.unpriced}
    assert set(listed) == {("no-such-model-x", 1, 500), ("gpt-4o", 1, 500), ("gpt-4.1", 1, 500)}
    assert "no price before" in listed[("gpt-4o", 1, 500)]
    assert "flex" in listed[("gpt-4.1", 1, 500)]
    only_first = canonical(tmp_path, [["2026-10-01T00:00:00Z", "gpt-4o", "", 1000, 0, 0, 0, 10, 0, 1, "", ""]])
    assert result.total_cost == run(only_first).total_cost
    with pytest.raises(BadInputError, match="cannot price"):
        run(path, strict=True)


def test_column_mapping_and_parquet(tmp_path):
    import duckdb

    theirs = tmp_path / "theirs.csv"
    theirs.write_text("when,engine,prompt,completion\n2026-10-01T00:00:00Z,gpt-4o,1000,100\n")
    cols = ["timestamp=when", "model=engine", "input_tokens=prompt", "output_tokens=completion"]
    mapped = reprice([str(theirs)], registry=REGISTRY, columns=cols).total_cost
    same = canonical(tmp_path, [["2026-10-01T00:00:00Z", "gpt-4o", "", 1000, 0, 0, 0, 100, 0, 1, "", ""]])
    assert mapped == run(same).total_cost
    pq = tmp_path / "t.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{theirs}', all_varchar=true) UNION ALL "
        f"SELECT '2026-10-01', 'gpt-4o', '-5', '1') TO '{pq}' (FORMAT parquet)"
    )
    result = reprice([str(pq)], registry=REGISTRY, columns=cols)
    assert result.total_cost == mapped and result.malformed == 1
    assert result.malformed_examples == [(str(pq), 2, "negative tokens")]
    with pytest.raises(BadInputError, match="no column 'nope'"):
        reprice([str(theirs)], registry=REGISTRY, columns=["model=nope"])


def test_reprice_frame_pandas_equals_file(tmp_path):
    import pandas as pd

    from tokencost.reprice import reprice_frame

    frame = pd.read_csv(EXAMPLES / "canonical.csv", dtype=str)
    assert reprice_frame(frame, registry=REGISTRY).total_cost == run(EXAMPLES / "canonical.csv").total_cost


def test_reprice_frame_duckdb_relation():
    import duckdb

    from tokencost.reprice import reprice_frame

    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_csv('{EXAMPLES / 'canonical.csv'}')")
    result = reprice_frame(rel, registry=REGISTRY, connection=con)
    assert result.total_cost == run(EXAMPLES / "canonical.csv").total_cost
    assert result.unpriced[0].model == "in-house-model"
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE '_tc_usage%'").fetchall()[0][0] == 0


def test_malformed_csv_rows_found_by_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "when,engine,prompt,completion\n2026-10-01T00:00:00Z,gpt-4o,10,5\n"
        "2026-10-01T00:00:00+02:00,gpt-4o,10,5\n2026-10-01,gpt-4o,-3,5\nnot a date,gpt-4o,1,1\n"
        "1790812800,gpt-4o,10,5\n"
    )
    cols = ["timestamp=when", "model=engine", "input_tokens=prompt", "output_tokens=completion"]
    result = reprice([str(path)], registry=REGISTRY, columns=cols, group_by=("day",))
    assert result.rows == 3 and result.malformed == 2
    assert [(n, r.split(":")[0]) for _, n, r in result.malformed_examples] == [
        (4, "negative tokens"),
        (5, "bad timestamp"),
    ]
    # offsets honoured (+02:00 is the previous UTC day), epoch seconds read
    days = {str(g.key["day"]): g.rows for g in result.groups}
    assert days["2026-09-30"] == 1 and sum(days.values()) == 3
