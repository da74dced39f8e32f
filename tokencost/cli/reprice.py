"""``tokencost reprice``: usage exports and logs in, what they cost (and would cost elsewhere) out."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import BadInputError
from ..registry import Registry
from ._options import DateType, output_options, pricing_option, terminal_width

from ..reprice.sources import FORMATS

INPUT_FORMATS = ("auto", *FORMATS)


@click.command("reprice", short_help="Reprice usage exports and logs; what-if on other models.")
@click.argument("sources", nargs=-1, required=True, metavar="USAGE...")
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
    "--batch-input",
    "batch_input",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="OpenAI Batch input JSONL whose prompts --what-if recounts exactly (also detected among USAGE).",
)
@click.option("--selfhost-ttft", "selfhost_ttft", type=float, default=None, metavar="SECONDS",
              help="Time-to-first-token target for --what-if-selfhost plans.")
@click.option("--selfhost-itl", "selfhost_itl", type=float, default=None, metavar="SECONDS",
              help="Inter-token latency target for --what-if-selfhost plans.")
@click.option("--selfhost-price-tier", "selfhost_price_tier", default="on-demand", show_default=True,
              metavar="TIER", help="GPU price tier for --what-if-selfhost plans: on-demand, reserved, spot, community or any.")
@click.option(
    "--what-if-as-of",
    "what_if_as_of",
    type=DateType(),
    default=None,
    help="Prices for --what-if models on this date (default today).",
)
@click.option(
    "--group-by",
    "group_by",
    default="model",
    metavar="COLUMNS",
    show_default=True,
    help="Comma-separated: model, provider, day, week, month, year, project, user, service_tier, batch.",
)
@click.option("--since", type=DateType(), default=None, help="Only rows on or after this day (UTC).")
@click.option("--until", type=DateType(), default=None, help="Only rows on or before this day (UTC).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Where the SQL runs: embedded DuckDB, or Spark (local or your cluster's session).")
@output_options(("table", "json", "csv", "parquet"))
@click.option(
    "--plot",
    "plot",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write a PNG of cost per month by model with the what-if totals (needs tokencost[plot]).",
)
@click.option("--strict", is_flag=True, help="Fail on the first malformed or unpriceable row.")
@click.option("--memory-limit", default="2GB", show_default=True, metavar="SIZE",
              help="DuckDB memory limit (spills to disk beyond).")
@pricing_option
def reprice_command(
    sources: tuple[str, ...],
    input_format: str,
    columns: tuple[str, ...],
    what_if: tuple[str, ...],
    what_if_selfhost: tuple[str, ...],
    batch_input: tuple[str, ...],
    selfhost_ttft: float | None,
    selfhost_itl: float | None,
    selfhost_price_tier: str,
    what_if_as_of: dt.date | None,
    group_by: str,
    since: dt.date | None,
    until: dt.date | None,
    engine: str,
    fmt: str,
    output: str | None,
    plot: str | None,
    strict: bool,
    memory_limit: str,
    registry: Registry,
) -> None:
    """Price real traffic (usage exports, spend logs, traces) at the prices in force on each row's day.

    SOURCES are files, folders, globs or '-' (stdin): CSV, JSON Lines, JSON or Parquet, gzip or not.
    Rows that cannot be priced are listed, never counted as $0.
    """
    from ..reprice import reprice
    from ..reprice.render import emit

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
        what_if_as_of=what_if_as_of,
        what_if_selfhost=what_if_selfhost,
        selfhost_options={
            k: v
            for k, v in (("ttft_s", selfhost_ttft), ("itl_s", selfhost_itl), ("price_tier", selfhost_price_tier))
            if v is not None
        },
        batch_input=batch_input,
        group_by=group_by,
        engine=engine,
        input_format=input_format,
        columns=list(columns),
        since=since,
        until=until,
        strict=strict,
        registry=registry,
        memory_limit=memory_limit,
        progress=progress,
    )
    if plot:
        from ..reprice.plot import plot_repricing

        plot_repricing(result, plot)
    text = emit(result, fmt, output, terminal_width())
    if text is not None:
        click.echo(text, nl=False)
    if fmt in ("csv", "parquet"):  # these rows carry no free text: say what is less than exact on stderr
        for note in result.notes + [f"what-if {w.model}: {n}" for w in result.what_if for n in w.notes]:
            click.echo(f"Note: {note}", err=True)


def _progress() -> Callable[[int], Any] | None:
    """A stderr row counter (tqdm when installed), only on a terminal."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(unit=" rows", file=sys.stderr, leave=False)
    return bar.update
