"""The ``tokencost`` command: parse options, call the library, format the answer."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from . import outputs
from .errors import BadInputError, PriceFileError, TokencostError

FORMATS = ("table", "json", "csv")


def pricing_option(func: Callable) -> Callable:
    """``--pricing FILE`` (repeatable): the user's price files, on top of the shipped ones."""
    return click.option(
        "--pricing", "pricing", multiple=True, type=click.Path(dir_okay=True),
        help="Extra price file or directory loaded on top of the shipped prices (repeatable).",
    )(func)


def format_option(choices: tuple[str, ...] = FORMATS) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(choices), default="table", show_default=True,
                        help="Output format.")


def as_of_option(func: Callable) -> Callable:
    return click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Use the prices in force on this date (YYYY-MM-DD).")(func)


def registry_from(pricing: tuple[str, ...]):
    from .registry import load_registry

    return load_registry(pricing)


def emit(rows: list[dict[str, Any]], fmt: str, output: str | None = None, columns: list[str] | None = None,
         document: Any = None) -> None:
    """Write rows as table, JSON (``document`` if given) or CSV, to stdout or atomically to ``output``."""
    if fmt == "json":
        text = outputs.render_json(rows if document is None else document)
    elif fmt == "csv":
        text = outputs.render_csv(rows, columns)
    else:
        text = outputs.render_table(rows, columns)
    if output:
        outputs.write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tokencost")
def cli() -> None:
    """What your LLM traffic costs: exact token counts, sourced and dated prices."""


@cli.command("models")
@click.option("--provider", "-p", default=None, help="Only this provider's models.")
@format_option()
@as_of_option
@pricing_option
def models_cmd(provider: str | None, fmt: str, as_of: dt.datetime | None, pricing: tuple[str, ...]) -> None:
    """List every priced model with its rates per 1K and per 1M tokens."""
    from .report import model_rows

    registry = registry_from(pricing)
    emit(model_rows(registry.models(provider, as_of=_date(as_of))), fmt)


@cli.group("prices")
def prices() -> None:
    """Inspect and check the price data."""


@prices.command("show")
@click.argument("model")
@format_option(("table", "json"))
@as_of_option
@pricing_option
def prices_show(model: str, fmt: str, as_of: dt.datetime | None, pricing: tuple[str, ...]) -> None:
    """Every rate of MODEL, with its source and effective date."""
    from .report import price_detail

    priced = registry_from(pricing).get(model, as_of=_date(as_of))
    detail = price_detail(priced)
    if fmt == "json":
        click.echo(outputs.render_json(detail), nl=False)
        return
    click.echo(f"{priced.key} — {priced.name}  (tokenizer {priced.tokenizer}, context {priced.context_window:,} tokens)")
    click.echo(f"in force from {priced.effective}, checked {priced.as_of}; quoted per {priced.period.unit} tokens "
               f"in {priced.currency}")
    click.echo(f"source: {priced.source}")
    if priced.conversion is not None:
        c = priced.conversion
        click.echo(f"conversion: 1 {c.unit} = {outputs.decimal_text(c.rate)} {c.to} (checked {c.checked}; {c.source})")
    click.echo("")
    click.echo(outputs.render_table(detail["rates"]), nl=False)
    for note in (priced.model.note, priced.period.note, priced.provider_info.note):
        if note:
            click.echo(f"note: {note}")
    if len(detail["history"]) > 1:
        click.echo("\nprice history:")
        click.echo(outputs.render_table(detail["history"]), nl=False)


@prices.command("validate")
@click.argument("files", nargs=-1, type=click.Path())
def prices_validate(files: tuple[str, ...]) -> None:
    """Check the shipped price files, or FILES, and name every problem."""
    from .registry import validate_files

    problems = validate_files(files)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise PriceFileError([f"{len(problems)} problem(s) in the price files, listed above"])
    click.echo(f"ok: {len(files) or 'all shipped'} file(s) valid")


@prices.command("stale")
@click.option("--older-than", "older_than", type=int, default=90, show_default=True, metavar="DAYS",
              help="List prices last checked more than DAYS ago.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
@format_option()
@pricing_option
def prices_stale(older_than: int, today: dt.datetime | None, fmt: str, pricing: tuple[str, ...]) -> None:
    """List price entries not checked against their source recently."""
    from .registry import stale
    from .report import model_rows

    emit(model_rows(stale(registry_from(pricing), older_than, _date(today))), fmt)


def _fail(exc: BaseException, code: int) -> None:
    message = str(exc).splitlines()
    click.echo(f"tokencost: error: {message[0] if message else type(exc).__name__}", err=True)
    for line in message[1:]:
        click.echo(f"  {line}", err=True)
    sys.exit(code)


def main() -> None:
    """Entry point: domain errors become one line on stderr and exit code 2 (bad input) or 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except TokencostError as exc:
        _fail(exc, exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - users get one line, developers set TOKENCOST_DEBUG
        if os.environ.get("TOKENCOST_DEBUG"):
            raise
        _fail(BadInputError(f"internal error: {type(exc).__name__}: {exc} (set TOKENCOST_DEBUG=1 for details)"), 1)
