"""Rows in, text out: aligned tables, JSON with money as strings, spreadsheet-safe CSV.

A row is a ``dict`` whose keys are column names, in order.  Values may be
``Decimal``, ``int``, ``str``, ``bool``, ``date`` or ``None``; money stays
``Decimal`` until it is written, and is written exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

Row = Mapping[str, Any]

#: Text cells starting with these are read as formulas by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def decimal_text(value: Decimal) -> str:
    """Exact positional notation without exponent or trailing zeros (``1E+3`` -> ``1000``, ``2.50`` -> ``2.5``)."""
    text = format(value, "f")  # never rounds (normalize() would round to the context's precision)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def render_json(obj: Any) -> str:
    return json.dumps(plain(obj), indent=2, ensure_ascii=False) + "\n"


def money(value: Decimal | None, places: int = 6) -> str:
    """Money for people: rounded for display only, trailing zeros trimmed to at least 2 places."""
    if value is None:
        return "-"
    q = value.quantize(Decimal(1).scaleb(-places))
    whole, _, frac = decimal_text(q).partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def cell_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def render_table(rows: Sequence[Row], columns: Sequence[str] | None = None,
                 formatters: Mapping[str, Callable[[Any], str]] | None = None) -> str:
    """An aligned plain-text table; numbers right-aligned."""
    if not rows:
        return "(no rows)\n"
    columns = list(columns or rows[0].keys())
    formatters = formatters or {}
    body = [[formatters.get(c, cell_text)(row.get(c)) for c in columns] for row in rows]
    numeric = [all(isinstance(row.get(c), (int, Decimal)) and not isinstance(row.get(c), bool)
                   or row.get(c) is None for row in rows) for c in columns]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(columns)]

    def fmt(cells: Sequence[str]) -> str:
        parts = [cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    lines = [fmt(columns), fmt(["-" * w for w in widths]), *(fmt(line) for line in body)]
    return "\n".join(lines) + "\n"


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


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` so readers see the old file or the whole new one."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
