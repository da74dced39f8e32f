"""What every command shares: parameter types, the output options, the price-file option, rendering.

Numbers typed on the command line are checked here, once, for every option of their kind: a
token count, a fraction, a decimal amount.  A value out of range is a usage error (exit 2).
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ..render import render_csv, render_json, render_table, wrap
from ..rows import Rows
from ..usage import MAX_TOKENS

FORMATS = ("table", "json", "csv")


class DateType(click.ParamType):
    """A calendar date, YYYY-MM-DD."""

    name = "DATE"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class DecimalType(click.ParamType):
    """A finite decimal number within ``[low, high]`` (``high`` excluded when ``open_high``)."""

    name = "DECIMAL"

    def __init__(self, low: Decimal | int | str | None = None, high: Decimal | int | str | None = None, *,
                 open_low: bool = False, open_high: bool = False, metavar: str = "DECIMAL") -> None:
        self.low = None if low is None else Decimal(low)
        self.high = None if high is None else Decimal(high)
        self.open_low = open_low
        self.open_high = open_high
        self.metavar = metavar

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            number = value
        else:
            try:
                number = Decimal(str(value).strip())
            except (InvalidOperation, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        too_high = self.high is not None and (number >= self.high if self.open_high else number > self.high)
        too_low = self.low is not None and (number <= self.low if self.open_low else number < self.low)
        if too_low or too_high:
            low = f"above {self.low}" if self.open_low else f"from {self.low}"
            high = f"below {self.high}" if self.open_high else f"at most {self.high}"
            self.fail(f"{value} is out of range: give a number {low} up to {high}", param, ctx)
        return number


#: A token count on the command line: a whole number from 0 to any real model's scale.
TOKENS = click.IntRange(0, MAX_TOKENS)
#: A fraction from 0 up to (not including) 1, as for trims.
FRACTION = DecimalType(0, 1, open_high=True, metavar="FRACTION")


def terminal_width() -> int:
    """The terminal's width (``COLUMNS`` first), 100 when it cannot be told."""
    return shutil.get_terminal_size((100, 24)).columns


def output_options(formats: tuple[str, ...] = FORMATS) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format`` and ``-o/--output FILE`` (written atomically), for every command that prints rows."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option("--output", "-o", "output", default=None, metavar="FILE",
                            type=click.Path(dir_okay=False),
                            help="Write to FILE (atomically; never replaces a non-regular file) instead of stdout.")(func)
        return click.option("--format", "fmt", type=click.Choice(formats), default="table", show_default=True,
                            help="Output format: an aligned table, JSON (money as strings) or CSV.")(func)

    return decorate


def pricing_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--pricing FILE`` (repeatable): the user's price files, loaded on top of the shipped ones."""

    @click.option("--pricing", "pricing", multiple=True, metavar="FILE|DIR", type=click.Path(),
                  help="Your own price file or folder, loaded on top of the shipped prices (repeatable).")
    @click.option("--fallback-prices", "fallback", type=click.Choice(["genai-prices"]), default=None,
                  help="Price models missing from the curated prices from this database (labelled in every "
                       "output; needs tokencost[genai-prices]). Default: $TOKENCOST_FALLBACK_PRICES, else none.")
    @functools.wraps(func)
    def wrapper(*args: Any, pricing: tuple[str, ...], fallback: str | None, **kwargs: Any) -> Any:
        from ..registry import default_registry, load_registry

        kwargs["registry"] = load_registry(pricing, fallback=fallback) if pricing or fallback else default_registry()
        return func(*args, **kwargs)

    return wrapper


def as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", type=DateType(), default=None,
                        help="Price at the rates in force on this date (default: today).")(func)


def emit_text(text: str, output: str | None = None) -> None:
    """Text to stdout, or atomically to ``output``."""
    if output:
        from .._fs import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def emit(rows: Rows, fmt: str, output: str | None = None) -> None:
    """Rows as a table (with its notes), JSON or CSV, to stdout or atomically to ``output``."""
    if fmt == "json":
        text = render_json(rows.document())
    elif fmt == "csv":
        text = render_csv(rows.rows)
    else:
        width = None if output else terminal_width()
        shown, columns = rows.table_rows()
        text = render_table(shown, columns, width=width, right=rows.approximate_columns)
        if rows.notes:
            text += "\n" + "\n".join(line for note in rows.notes for line in wrap(note, width)) + "\n"
    emit_text(text, output)
