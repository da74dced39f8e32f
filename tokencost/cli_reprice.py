"""``tokencost reprice``: usage exports and logs in, what they cost (and would cost elsewhere) out."""

from __future__ import annotations

import datetime as dt
import sys

import click

from .errors import BadInputError

INPUT_FORMATS = (
    "auto",
    "canonical",
    "openai-usage",
    "openai-batch",
    "anthropic-usage",
    "anthropic-cost",
    "litellm-spend",
    "otel",
    "claude-code",
)


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@click.command("reprice")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--input-format",
    "input_format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="Export format of the sources (detected from the content by default).",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="OURS=THEIRS",
    help="Canonical column OURS is the header THEIRS in your file (repeatable).",
)
@click.option(
    "--what-if", "what_if", multiple=True, metavar="MODEL", help="Also price the same traffic on MODEL (repeatable)."
)
@click.option(
    "--what-if-selfhost",
    "what_if_selfhost",
    multiple=True,
    metavar="MODEL@GPU",
    help="Also price the traffic on self-hosted MODEL@GPU, sized for its busiest hour (repeatable).",
)
@click.option(
    "--what-if-as-of",
    "what_if_as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Prices for --what-if models on this date (default today).",
)
@click.option(
    "--group-by",
    "group_by",
    default="model",
    show_default=True,
    help="Comma-separated: model, provider, day, week, month, year, project, user, service_tier, batch.",
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only rows on or after this day (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only rows on or before this day (UTC).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "parquet"]),
    default="table",
    show_default=True,
    help="Output format (csv and parquet use FOCUS-aligned columns).",
)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write to this file.")
@click.option(
    "--plot",
    "plot",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write a PNG of cost per month by model with the what-if totals (needs tokencost[plot]).",
)
@click.option("--strict", is_flag=True, help="Fail on the first malformed or unpriceable row.")
@click.option("--memory-limit", default="2GB", show_default=True, help="DuckDB memory limit (spills to disk beyond).")
@click.option(
    "--pricing",
    "pricing",
    multiple=True,
    type=click.Path(dir_okay=True),
    help="Extra price file or directory loaded on top of the shipped prices (repeatable).",
)
def reprice_command(
    sources,
    input_format,
    columns,
    what_if,
    what_if_selfhost,
    what_if_as_of,
    group_by,
    since,
    until,
    engine,
    fmt,
    output,
    plot,
    strict,
    memory_limit,
    pricing,
) -> None:
    """Price real traffic (usage exports, spend logs, traces) at the prices in force on each row's day.

    SOURCES are files, folders, globs or '-' (stdin): CSV, JSON Lines, JSON or Parquet, gzip or not.
    Rows that cannot be priced are listed, never counted as $0.
    """
    from .registry import load_registry
    from .reprice import reprice
    from .reprice.render import emit

    if fmt == "parquet" and not output:
        raise BadInputError("Parquet output needs a file: add -o FILE.parquet")
    if plot and not {"model", "month"} <= {g.strip() for g in group_by.split(",")}:
        raise BadInputError("--plot needs --group-by to include model and month (e.g. model,month)")
    progress = None
    if sys.stderr.isatty():
        progress = _progress()
    result = reprice(
        list(sources),
        what_if=what_if,
        what_if_as_of=_day(what_if_as_of),
        what_if_selfhost=what_if_selfhost,
        group_by=group_by,
        engine=engine,
        input_format=input_format,
        columns=list(columns),
        since=_day(since),
        until=_day(until),
        strict=strict,
        registry=load_registry(pricing),
        memory_limit=memory_limit,
        progress=progress,
    )
    if plot:
        from .reprice.plot import plot_repricing

        plot_repricing(result, plot)
    text = emit(result, fmt, output)
    if text is not None:
        click.echo(text, nl=False)


def _progress():
    """A stderr row counter (tqdm when installed), only on a terminal."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(unit=" rows", file=sys.stderr, leave=False)
    return bar.update
