"""``tokencost count``: tokens of files, folders, JSONL and Batch files, by each model's tokenizer."""

from __future__ import annotations

import sys

import click

from ..counting import count_sources
from ..registry import Registry
from ..rows import count_rows
from ._options import emit, output_options, pricing_option


@click.command("count")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Model whose tokenizer counts (repeatable; default: the default comparison set).")
@click.option("--each", is_flag=True, help="One row per file or JSONL line instead of one total per model.")
@click.option("--explain", is_flag=True, help="Show each tokenizer's basis and measured error under the table.")
@output_options()
@pricing_option
def count_cmd(sources: tuple[str, ...], models: tuple[str, ...], each: bool, explain: bool, fmt: str,
              output: str | None, registry: Registry) -> None:
    """Count tokens of files, folders, JSONL and Batch files per model."""
    stdin = click.get_binary_stream("stdin") if "-" in sources else None  # streamed, never read whole
    paths = [s for s in sources if s != "-"]
    rows = count_rows(count_sources(paths, list(models) or None, stdin=stdin, each=each,
                                    registry=registry, progress=sys.stderr.isatty()), each)
    if explain:
        bases = {r["tokenizer"]: r["basis"] for r in rows.rows}
        rows.notes += [f"{name}: {basis}" for name, basis in sorted(bases.items())]
    emit(rows, fmt, output)
