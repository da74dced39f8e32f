"""Outputs: exact money text, spreadsheet-safe CSV, atomic writes."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencost import outputs


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12")))
def test_decimal_text_is_exact_and_never_uses_exponent_notation(value):
    text = outputs.decimal_text(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(text):
    out = outputs.render_csv([{"note": text, "cost": Decimal("-1.5")}])
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["note"] == "'" + text
    assert row["cost"] == "-1.5"  # numbers stay numbers, even negative ones


def test_csv_money_is_exact_decimal_text():
    out = outputs.render_csv([{"total": Decimal("0.00000012345"), "n": 3, "ok": True, "none": None}])
    assert out.splitlines()[1] == "0.00000012345,3,true,"


def test_json_money_is_strings():
    data = json.loads(outputs.render_json({"a": Decimal("2.50"), "b": [Decimal("1E+3")]}))
    assert data == {"a": "2.5", "b": ["1000"]}


def test_atomic_write_replaces_whole_file_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    outputs.write_atomic(target, "new contents")
    assert target.read_text() == "new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    import tokencost._fs as fs

    monkeypatch.setattr(fs.os, "replace", broken_replace)
    from tokencost.errors import BadInputError

    with pytest.raises(BadInputError, match="disk full"):
        outputs.write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_table_aligns_numbers_right_and_shows_missing_values_as_dashes():
    text = outputs.render_table([{"model": "a", "cost": Decimal("1.5")}, {"model": "bbb", "cost": None}])
    lines = text.splitlines()
    assert lines[2].endswith(" 1.50") and lines[3].endswith("    -")
