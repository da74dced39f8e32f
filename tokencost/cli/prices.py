"""``tokencost models`` and ``tokencost prices show|validate|stale``: the price data."""

from __future__ import annotations

import datetime as dt

import click

from ..errors import PriceFileError
from ..money import decimal_text
from ..registry import MAX_STALE_DAYS, Registry, stale, validate_files
from ..render import render_table, wrap
from ..rows import Rows, model_rows, price_detail
from ._options import DateType, as_of_option, emit, emit_text, output_options, pricing_option, terminal_width


@click.command("models")
@click.option("--provider", "-p", default=None, metavar="PROVIDER", help="Only this provider's models.")
@output_options()
@as_of_option
@pricing_option
def models_cmd(provider: str | None, fmt: str, output: str | None, as_of: dt.date | None, registry: Registry) -> None:
    """List every priced model with its rates per 1M tokens."""
    emit(model_rows(registry.models(provider, as_of=as_of)), fmt, output)


@click.group("prices")
def prices() -> None:
    """Show, check and audit the price data."""


@prices.command("show")
@click.argument("model")
@output_options(("table", "json"))
@as_of_option
@pricing_option
def prices_show(model: str, fmt: str, output: str | None, as_of: dt.date | None, registry: Registry) -> None:
    """Every rate of MODEL, with its source and dates."""
    priced = registry.get(model, as_of=as_of)
    detail = price_detail(priced)
    if fmt == "json":
        emit(Rows("price", detail["rates"], meta={k: v for k, v in detail.items() if k != "rates"}), "json", output)
        return
    width = None if output else terminal_width()
    lines = [
        f"{priced.key} — {priced.name}  (tokenizer {priced.tokenizer}, context {priced.context_window:,} tokens)",
        f"priced on {priced.as_of}: in force from {priced.effective}, checked {priced.checked}; "
        f"per 1M tokens in {priced.currency} (the source quotes per {priced.period.quoted_per})",
        f"source: {priced.source}",
    ]
    if priced.model.retired:
        lines.append(f"retired on {priced.model.retired}")
    if priced.conversion is not None:
        c = priced.conversion
        since = f"from {c.effective}, " if c.effective else ""
        lines.append(f"conversion: 1 {c.billing_unit} = {decimal_text(c.rate)} {c.to} ({since}checked {c.checked}; "
                     f"{c.source})")
    notes = [f"note: {n}" for n in (priced.model.note, priced.period.note, priced.provider_info.note) if n]
    text = "\n".join(w for line in lines for w in wrap(line, width)) + "\n\n" + render_table(detail["rates"])
    text += "".join(w + "\n" for note in notes for w in wrap(note, width))
    if len(detail["history"]) > 1:
        text += "\nprice history:\n" + render_table(detail["history"], ["price_effective", "input_per_1m",
                                                                         "output_per_1m", "currency", "price_checked"])
    emit_text(text, output)


@prices.command("validate")
@click.argument("files", nargs=-1, type=click.Path())
def prices_validate(files: tuple[str, ...]) -> None:
    """Check the shipped price files, or FILES, and name every problem."""
    problems = validate_files(files)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise PriceFileError([f"{len(problems)} problem(s) in the price files, listed above"])
    click.echo(f"ok: {len(files) or 'all shipped'} file(s) valid")


@prices.command("stale")
@click.option("--older-than", "older_than", type=click.IntRange(0, MAX_STALE_DAYS), default=90, show_default=True,
              metavar="DAYS", help="List prices last checked more than DAYS ago.")
@click.option("--today", type=DateType(), default=None, help="Pretend today is this date.")
@output_options()
@pricing_option
def prices_stale(older_than: int, today: dt.date | None, fmt: str, output: str | None, registry: Registry) -> None:
    """List prices not checked against their source recently."""
    emit(model_rows(stale(registry, older_than, today)), fmt, output)


