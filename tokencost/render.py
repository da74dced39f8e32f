"""Rows in, text out: a table that fits the terminal, JSON with money as strings, safe CSV.

A row is a ``dict`` whose keys are column names, in order.  Values may be ``Decimal``,
``int``, ``str``, ``bool``, ``date`` or ``None``; money stays ``Decimal`` until it is written,
and files get it exactly (:func:`tokencost.money.decimal_text`).  Every renderer takes the same
rows (:mod:`tokencost.rows` builds them), so a column has one name in every format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .money import decimal_text, shown

Row = Mapping[str, Any]

#: Text cells starting with these are read as formulas by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A text column is never cut narrower than this when a table is fitted to a width.
MIN_TEXT_WIDTH = 12
ELLIPSIS = "…"


def plain(value: Any) -> Any:
    """A JSON-ready value: ``Decimal`` as an exact string, dates as ISO text."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def render_json(obj: Any) -> str:
    return json.dumps(plain(obj), indent=2, ensure_ascii=False) + "\n"


def cell_text(value: Any) -> str:
    """A table cell: money rounded for display (never a non-zero amount as zero), ints with commas."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return shown(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def render_table(rows: Sequence[Row], columns: Sequence[str] | None = None, *, width: int | None = None,
                 right: Iterable[str] = ()) -> str:
    """An aligned plain-text table; numbers (and the ``right`` columns) right-aligned.

    With ``width``, the widest text columns are cut (ending in "…") until every line fits;
    numbers are never cut.
    """
    if not rows:
        return "(no rows)\n"
    columns = list(columns or rows[0].keys())
    body = [[cell_text(row.get(c)) for c in columns] for row in rows]
    right = set(right)
    numeric = [c in right or all(_is_number(row.get(c)) or row.get(c) is None for row in rows) for c in columns]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(columns)]
    if width is not None:
        excess = sum(widths) + 2 * (len(widths) - 1) - width
        while excess > 0:
            text_cols = [i for i, num in enumerate(numeric) if not num and widths[i] > MIN_TEXT_WIDTH]
            if not text_cols:
                break
            widest = max(text_cols, key=lambda i: widths[i])
            cut = min(excess, widths[widest] - MIN_TEXT_WIDTH)
            widths[widest] -= cut
            excess -= cut

    def fmt(cells: Sequence[str]) -> str:
        parts = [_cut(cell, w).rjust(w) if num else _cut(cell, w).ljust(w)
                 for cell, w, num in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    lines = [fmt(columns), fmt(["-" * w for w in widths]), *(fmt(line) for line in body)]
    return "\n".join(lines) + "\n"


def wrap(text: str, width: int | None, indent: str = "") -> list[str]:
    """Prose wrapped to ``width`` columns (unwrapped when ``width`` is None)."""
    if width is None:
        return [indent + text]
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False) or [indent]


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet reads as intended: numbers as numbers, text never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(rows: Iterable[Row], columns: Sequence[str] | None = None) -> str:
    rows = list(rows)
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: fields holding CR or LF get quoted
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return buf.getvalue()
