"""``tokencost estimate``: what a prompt costs on each model, and what a trim would save."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import click

from .. import estimator
from ..registry import Registry
from ..rows import estimate_rows, trim_rows
from ..usage import MAX_REQUESTS
from ._input import prompt_path, read_messages, read_text, read_tools
from ._options import FRACTION, TOKENS, DecimalType, as_of_option, emit, output_options, pricing_option


@click.command("estimate")
@click.argument("prompt_file", required=False, metavar="[PROMPT_FILE|-]")
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="provider:model or an unambiguous id (repeatable; default: a set covering every provider).")
@click.option("--messages", "messages_file", default=None, metavar="FILE",
              help="A JSON file of chat messages (or a request with messages and tools), instead of PROMPT_FILE.")
@click.option("--tools", "tools_file", default=None, metavar="FILE",
              help="OpenAI tool (function) definitions, a JSON list, counted with --messages as the API bills them.")
@click.option("--response-tokens", type=TOKENS, default=None, metavar="N", help="Expected visible response length in tokens.")
@click.option("--response", "response_file", default=None, metavar="FILE", help="A response text file to count.")
@click.option("--response-ratio", type=DecimalType(0, 100, metavar="RATIO"), default=None,
              help="Response length as a multiple of the prompt's tokens.")
@click.option("--reasoning-tokens", type=TOKENS, default=0, metavar="N", help="Hidden reasoning tokens (billed as output).")
@click.option("--cached-tokens", type=TOKENS, default=0, metavar="N", help="Prompt tokens served from the provider's cache.")
@click.option("--cache-write-tokens", type=TOKENS, default=0, metavar="N", help="Prompt tokens written to the cache.")
@click.option("--cache-ttl", type=click.Choice(["5m", "1h"]), default="5m", show_default=True,
              help="How long cache writes live (the 1-hour write rate where published).")
@click.option("--batch", is_flag=True, help="Use Batch API rates.")
@click.option("--service-tier", default=None, metavar="NAME", help="A named service tier (flex, priority, ...).")
@click.option("--requests-per-day", type=click.IntRange(1, MAX_REQUESTS), default=None, metavar="N",
              help="Project a volume: requests per day.")
@click.option("--days", type=click.IntRange(1, 36_600), default=None, metavar="N",
              help="Days in the projection (default 30 with --requests-per-day).")
@click.option("--trim", type=FRACTION, default=None, help="What-if: trim this fraction of the prompt's tokens (0.10 = 10%).")
@click.option("--response-trim", type=FRACTION, default=Decimal(0), show_default=True,
              help="With --trim: shrink the visible response by this fraction too.")
@output_options()
@as_of_option
@pricing_option
def estimate_cmd(prompt_file: str | None, models: tuple[str, ...], messages_file: str | None,
                 tools_file: str | None, response_tokens: int | None, response_file: str | None, response_ratio: Decimal | None,
                 reasoning_tokens: int, cached_tokens: int, cache_write_tokens: int, cache_ttl: str, batch: bool,
                 service_tier: str | None, requests_per_day: int | None, days: int | None, trim: Decimal | None,
                 response_trim: Decimal, fmt: str, output: str | None, as_of: dt.date | None,
                 registry: Registry) -> None:
    """What a prompt costs on each model, cheapest first."""
    if (prompt_file is None) == (messages_file is None):
        raise click.UsageError("give a PROMPT_FILE (or -) or --messages FILE, one of them")
    if response_file == "-" and "-" in (prompt_file, messages_file):
        raise click.UsageError("stdin can be the prompt or the response, not both")
    if trim is None and response_trim:
        raise click.UsageError("--response-trim goes with --trim")
    tools: list[dict[str, Any]] | None = None
    prompt: Any
    if tools_file and not messages_file:
        raise click.UsageError("--tools goes with --messages (tool definitions are part of a chat request)")
    if messages_file:
        prompt, tools = read_messages(messages_file)
        if tools_file:
            tools = [*(tools or []), *read_tools(tools_file)]
    elif prompt_file == "-":
        prompt = read_text("-")
    else:
        prompt = prompt_path(prompt_file)  # counted streamed, file by tokenizer: never read whole
    requests = estimator.volume(requests_per_day, days)
    request = dict(
        response=read_text(response_file) if response_file else None, response_ratio=response_ratio,
        as_of=as_of, registry=registry, tools=tools, response_tokens=response_tokens, reasoning_tokens=reasoning_tokens,
        cached_tokens=cached_tokens, cache_write_tokens=cache_write_tokens, cache_ttl=cache_ttl, batch=batch,
        service_tier=service_tier, requests=requests,
    )
    if trim is not None:
        results = estimator.trim_saving(prompt, list(models) or None, trim=trim, response_trim=response_trim,
                                        **request)
        emit(trim_rows(results, estimator.ARTICLE_CLAIM), fmt, output)
        return
    estimates = estimator.compare(prompt, list(models) or None, **request)
    assumptions = {"requests_per_day": requests_per_day, "days": (days or 30) if requests_per_day else days,
                   "requests": requests, "batch": batch, "service_tier": service_tier,
                   "cached_tokens": cached_tokens, "cache_write_tokens": cache_write_tokens, "as_of": as_of}
    emit(estimate_rows(estimates, estimates.left_out, assumptions), fmt, output)
