"""A repricing as a 100-column table, JSON, or FOCUS-aligned CSV and Parquet."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from typing import Any

from .._fs import write_atomic
from ..money import shown
from ..render import render_csv, render_json, render_table
from .result import Repricing

WIDTH = 100


def _tokens(n: int | None) -> str:
    if n is None:
        return "-"
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def _cost(value: Decimal | None) -> str:
    return "unpriced" if value is None else "$" + shown(value, 2 if abs(value) >= 1 else 6)


def render_text(result: Repricing, width: int = WIDTH) -> str:
    """The table people read: groups, total, what-if, unpriced, malformed rows, notes (fits ``width``)."""
    billed = result.billed_cost is not None
    head = [*result.group_by, "requests", "input", "output", "repriced"] + (["billed", "!"] if billed else [])
    cells = []
    for g in result.groups:
        row = [
            "-" if v is None else (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v))
            for v in g.key.values()
        ]
        row += [_tokens(g.requests), _tokens(g.input_tokens), _tokens(g.output_tokens), _cost(g.total_cost)]
        if billed:
            row += ["-" if g.billed_cost is None else _cost(g.billed_cost), "!" if g.flag else ""]
        cells.append(row)
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ")
    table = [dict(zip(head, row)) for row in cells]
    lines = render_table(table, head, width=width, right=head[len(result.group_by):]).splitlines() if table else []
    lines.append("")
    lines.append(
        f"Total repriced: {_cost(result.total_cost)} USD over {result.rows:,} rows"
        + (f"; billed {_cost(result.billed_cost)}" if billed else "")
    )
    for w in result.what_if:
        label = " (approximate token counts)" if w.approximate else ""
        extra = f", {w.unpriced_rows:,} rows not priced" if w.unpriced_rows else ""
        if w.deployment is not None:  # self-hosted: a plan's estimate, over the traffic's hours
            label = f" (estimate: {w.deployment} for {w.period_hours:,} h)"
        lines.append(f"What if {w.model} at {w.as_of} prices: {_cost(w.total_cost)}{label}{extra}")
        if w.model.startswith("selfhost:"):
            lines.append("    " + w.basis)
        for note in w.notes:
            lines.extend(wrap.wrap(f"    Note: {note}"))
    for g in result.groups:
        if g.flag:
            lines.extend(wrap.wrap(f"! {', '.join(str(v) for v in g.key.values())}: {g.flag}"))
    if result.unpriced:
        lines.append("Unpriced (not counted in the total):")
        for u in result.unpriced:
            lines.extend(
                wrap.wrap(
                    f"  {u.model}: {u.rows:,} rows, {_tokens(u.input_tokens)} input / "
                    f"{_tokens(u.output_tokens)} output tokens - {u.reason}"
                )
            )
    if result.malformed:
        reasons = ", ".join(f"{k} {v:,}" for k, v in result.malformed_by_reason.items())
        lines.extend(wrap.wrap(f"Malformed rows skipped: {result.malformed:,} ({reasons})"))
        for file, line, reason in result.malformed_examples[:5]:
            lines.extend(wrap.wrap(f"  {file}:{line}: {reason}"))
    for note in result.notes:
        lines.extend(wrap.wrap(f"Note: {note}"))
    out = []
    for line in lines:
        out.extend(wrap.wrap(line) if len(line) > width else [line])
    return "\n".join(out) + "\n"


FOCUS_TYPES = {
    "ChargePeriodStart": "TIMESTAMP",
    "ChargePeriodEnd": "TIMESTAMP",
    "ConsumedQuantity": "BIGINT",
    "PricingQuantity": "DECIMAL(38,6)",
    "ListCost": "DECIMAL(38,18)",
    "BilledCost": "DECIMAL(38,18)",
    "x_Requests": "BIGINT",
}


def write_parquet(rows: list[dict[str, Any]], path: str) -> None:
    """FOCUS rows as Parquet, money as DECIMAL (written by DuckDB to a private temporary file, then
    put in place atomically with the same rules as every export)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="tokencost-parquet-") as tmp:
        scratch = Path(tmp) / "out.parquet"
        _copy_parquet(rows, str(scratch))
        write_atomic(path, scratch.read_bytes())


def _copy_parquet(rows: list[dict[str, Any]], path: str) -> None:
    import duckdb

    if not rows:
        rows = [{k: None for k in ("ChargePeriodStart", "ListCost")}]
    columns = list(rows[0])
    con = duckdb.connect()
    try:
        types = {c: FOCUS_TYPES.get(c, "STRING") for c in columns}
        con.execute("CREATE TABLE focus (" + ", ".join(f'"{c}" {t}' for c, t in types.items()) + ")")
        marks = ", ".join("?" for _ in columns)
        con.executemany(
            f"INSERT INTO focus VALUES ({marks})",
            [[r.get(c) if types[c] != "STRING" or r.get(c) is None else str(r.get(c)) for c in columns] for r in rows],
        )
        con.execute("COPY focus TO ? (FORMAT parquet)", [str(path)])
    finally:
        con.close()


def emit(result: Repricing, fmt: str, output: str | None, width: int = WIDTH) -> str | None:
    """Render ``result``; write it to ``output`` (atomically) or return the text for stdout."""
    if fmt == "parquet":
        if not output:
            raise ValueError("Parquet needs an output file")
        write_parquet(result.focus_rows(), output)
        return None
    if fmt == "json":
        text = render_json(result.to_dict())
    elif fmt == "csv":
        text = render_csv(result.focus_rows())
    else:
        text = render_text(result, width)
    if output:
        write_atomic(output, text)
        return None
    return text
