"""The ``tokencost`` command: parse options, call the library, format the answer."""

from __future__ import annotations

import datetime as dt
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


def emit(rows: list[dict[str, Any]], fmt: str, output: str | None = None, document: Any = None) -> None:
    """Write rows as table, JSON (``document`` if given) or CSV, to stdout or atomically to ``output``."""
    if fmt == "json":
        text = outputs.render_json(rows if document is None else document)
    elif fmt == "csv":
        text = outputs.render_csv(rows)
    else:
        text = outputs.render_table(rows)
    if output:
        outputs.write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


class ErrorsAsExitCodes(click.Group):
    """Domain errors become one line on stderr and the error's exit code (2 bad input, 1 other)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TokencostError as exc:
            _report(exc)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            name = exc.ctx.command_path if exc.ctx else "tokencost"
            _report(f"{exc.format_message()} (see '{name} --help')")
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - users get one line, developers set TOKENCOST_DEBUG
            if os.environ.get("TOKENCOST_DEBUG"):
                raise
            _report(f"internal error: {type(exc).__name__}: {exc} (set TOKENCOST_DEBUG=1 for details)")
            ctx.exit(1)


def _report(exc: BaseException | str) -> None:
    lines = str(exc).splitlines() or [type(exc).__name__]
    click.echo(f"tokencost: error: {lines[0]}", err=True)
    for line in lines[1:]:
        click.echo(f"  {line}", err=True)


@click.group(cls=ErrorsAsExitCodes, context_settings={"help_option_names": ["-h", "--help"]})
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


def read_text(path: str) -> str:
    """A prompt file (or ``-`` for stdin) as text; unreadable or non-UTF-8 input is a bad-input error."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    except OSError as exc:
        raise BadInputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path!r} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def read_messages(path: str) -> list[dict[str, Any]]:
    """Chat messages from a JSON file: a list of messages, or an object with a "messages" list."""
    import json

    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise BadInputError(f"{path!r} must hold a list of chat messages or an object with a \"messages\" list")
    return messages


@cli.command("estimate")
@click.argument("prompt_file", required=False)
@click.option("--model", "-m", "models", multiple=True,
              help="Model to price, as provider:model or an unambiguous id (repeatable; default: a set covering every provider).")
@click.option("--messages", "messages_file", type=str, default=None, help="A JSON file of chat messages, instead of PROMPT_FILE.")
@click.option("--response-tokens", type=click.IntRange(min=0), default=None, help="Expected response length in tokens.")
@click.option("--response", "response_file", default=None, help="A response text file to count.")
@click.option("--response-ratio", type=float, default=None, help="Response length as a multiple of the prompt's tokens.")
@click.option("--reasoning-tokens", type=click.IntRange(min=0), default=0, help="Hidden reasoning tokens (billed as output).")
@click.option("--cached-tokens", type=click.IntRange(min=0), default=0, help="Prompt tokens served from the provider's cache.")
@click.option("--cache-write-tokens", type=click.IntRange(min=0), default=0, help="Prompt tokens written to the cache.")
@click.option("--batch", is_flag=True, help="Use Batch API rates.")
@click.option("--service-tier", default=None, help="A named service tier (flex, priority, ...).")
@click.option("--requests-per-day", type=int, default=None, help="Project a volume: requests per day.")
@click.option("--days", type=int, default=None, help="Days in the projection (default 30 with --requests-per-day).")
@click.option("--trim", type=float, default=None, help="What-if: trim this fraction of the prompt's tokens (0.10 = 10%).")
@click.option("--response-trim", type=float, default=0.0, show_default=True, help="With --trim: shrink the response by this fraction too.")
@format_option()
@click.option("--output", "-o", default=None, type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@as_of_option
@pricing_option
def estimate_cmd(prompt_file, models, messages_file, response_tokens, response_file, response_ratio, reasoning_tokens,
                 cached_tokens, cache_write_tokens, batch, service_tier, requests_per_day, days, trim, response_trim,
                 fmt, output, as_of, pricing) -> None:
    """What PROMPT_FILE (or - for stdin) costs on each model, cheapest first."""
    from . import estimator
    from .report import estimate_rows, trim_rows

    if (prompt_file is None) == (messages_file is None):
        raise click.UsageError("give a PROMPT_FILE (or -) or --messages FILE, one of them")
    prompt = read_messages(messages_file) if messages_file else read_text(prompt_file)
    registry = registry_from(pricing)
    requests = estimator.volume(requests_per_day, days)
    common = dict(batch=batch, requests=requests, as_of=_date(as_of), registry=registry,
                  cached_tokens=cached_tokens)
    if trim is not None:
        results = estimator.trim_saving(prompt, models or None, trim=trim, response_trim=response_trim,
                                        response_tokens=response_tokens, **common)
        emit(trim_rows(results), fmt, output, document={"schema": "tokencost.trim/1", "claim": estimator.ARTICLE_CLAIM,
                                                       "results": [r.model_dump(mode="json") for r in results]})
        return
    estimates = estimator.compare(
        prompt, models or None, response_tokens=response_tokens,
        response=read_text(response_file) if response_file else None, response_ratio=response_ratio,
        reasoning_tokens=reasoning_tokens, cache_write_tokens=cache_write_tokens, service_tier=service_tier,
        **common)
    full = fmt != "table"
    rows = estimate_rows(estimates, full=full, requests_per_day=requests_per_day,
                         days=(days or 30) if requests_per_day else days)
    document = {"schema": "tokencost.estimate/1",
                "assumptions": {"requests_per_day": requests_per_day, "days": days, "requests": requests,
                                "batch": batch, "cached_tokens": cached_tokens, "as_of": _date(as_of)},
                "estimates": [e.model_dump(mode="json") for e in estimates]}
    emit(rows, fmt, output, document=document)
    if fmt == "table" and not output:
        for line in estimate_footnotes(estimates):
            click.echo(line)


@cli.command("count")
@click.argument("sources", nargs=-1, required=True)
@click.option("--model", "-m", "models", multiple=True,
              help="Model whose tokenizer counts (repeatable; default: the default comparison set).")
@click.option("--each", is_flag=True, help="One row per file or JSONL line instead of one total per model.")
@format_option()
@pricing_option
def count_cmd(sources: tuple[str, ...], models: tuple[str, ...], each: bool, fmt: str, pricing: tuple[str, ...]) -> None:
    """Count the tokens of SOURCES per model: files of any size (streamed), - for stdin, directories,
    JSONL files of prompts or chat requests, OpenAI Batch API input files (all cores; progress on a terminal)."""
    from .estimator import default_models
    from .tokenizers import count_files, get_tokenizer

    registry = registry_from(pricing)
    targets = [registry.get(m) for m in models] if models else default_models(registry)
    stdin_text = read_text("-") if "-" in sources else None
    paths = [s for s in sources if s != "-"]
    counted: dict[str, list] = {}
    rows = []
    for priced in targets:
        tok = get_tokenizer(priced.tokenizer)
        if tok.name not in counted:
            items = [(i.path if i.line is None else f"{i.path}:{i.line}", i.tokens, i.exact)
                     for i in (count_files(tok, paths) if paths else [])]
            if stdin_text is not None:
                items.insert(0, ("-", tok.count(stdin_text), tok.exact))
            counted[tok.name] = items
        items = counted[tok.name]
        basis = tok.basis if tok.exact else f"{tok.basis}; error: {tok.error}"
        if each:
            rows += [{"model": priced.key, "source": src, "tokens": n, "exact": ex, "tokenizer": tok.name}
                     for src, n, ex in items]
        else:
            rows.append({"model": priced.key, "tokenizer": tok.name, "items": len(items),
                         "tokens": sum(n for _, n, _ in items), "exact": all(ex for _, _, ex in items),
                         "basis": basis})
    emit(rows if fmt != "table" else [{k: v for k, v in r.items() if k != "basis"} for r in rows], fmt)
    if fmt == "table" and not all(r["exact"] for r in rows):
        click.echo("\nexact = no: approximate count; see docs/tokenizers.md for the basis and error of each.")


def estimate_footnotes(estimates) -> list[str]:
    lines = []
    if all(e.response_tokens + e.reasoning_tokens == 0 for e in estimates):
        lines += ["", "No response length given, so output costs are 0 and self-hosted rows are left out: "
                      "pass --response-tokens N, --response FILE or --response-ratio R."]
    approx = {e.tokenizer: e.count_basis for e in estimates if e.count == "approximate"}
    if approx:
        lines.append("")
        lines.append("approx = token count approximated, not the provider's tokenizer:")
        lines += [f"  {name}: {basis}" for name, basis in sorted(approx.items())]
    notes = [(e.model, n) for e in estimates for n in e.notes]
    if notes:
        lines.append("")
        lines += [f"{model}: {note}" for model, note in notes]
    lines.append("")
    lines.append("Costs in USD; prices as of the date shown; sources: tokencost prices show MODEL.")
    return lines


from .cli_selfhost import breakeven_command, selfhost_command  # noqa: E402 - needs cli defined above

cli.add_command(selfhost_command)
cli.add_command(breakeven_command)
from .cli_reprice import reprice_command  # noqa: E402

cli.add_command(reprice_command)


def main() -> None:
    """Entry point of the ``tokencost`` command."""
    cli.main(prog_name="tokencost")
