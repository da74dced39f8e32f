"""``tokencost selfhost``, ``breakeven`` and ``plan``: parse, call :mod:`tokencost.selfhost`, format.

Library errors reach the group's error boundary (one line on stderr, exit 2 for bad input).  Every
number typed here goes through a bounded parameter type; reports wrap to the terminal's width.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ..errors import BadInputError
from ..registry import Registry
from ..render import render_json, wrap
from ..usage import MAX_TOKENS
from ._options import DecimalType, emit_text, output_options, pricing_option, terminal_width

CLOUDS = ["aws", "azure", "gcp", "lambda", "coreweave", "crusoe", "runpod", "on-prem"]
TIERS = ["on-demand", "reserved", "spot", "community", "any"]
#: --utilization means the same thing in every command that takes it.
UTILIZATION_HELP = "Share of paid GPU time spent serving at the modelled throughput, in (0, 1]."
#: Bounded number types: a value outside them is a usage error, never an internal one.
SHARE = DecimalType("0.001", 1, metavar="SHARE")
USD = DecimalType(0, 1_000_000, open_low=True, metavar="USD")
AMOUNT = DecimalType(0, 10**12, metavar="NUMBER")
RATE = DecimalType(0, 10**9, open_low=True, metavar="RATE")
SECONDS = DecimalType(0, 86_400, open_low=True, metavar="SECONDS")
TOKENS = click.IntRange(1, MAX_TOKENS)
GPUS = click.IntRange(1, 4096)


def _money(d: Decimal | None, places: int = 6) -> str:
    return "-" if d is None else f"{d:,.{places}f}"


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return wrap(text, terminal_width(), indent)



_ON_PREM = [
    ("server_price", "on-prem: purchase price of one server, USD."),
    ("amortization_years", "on-prem: years to write the server off."),
    ("server_power_kw", "on-prem: average server draw, kW (default: GPU TDP x GPUs per server)."),
    ("pue", "on-prem: data-centre PUE, >= 1 (default: sourced survey average)."),
    ("price_per_kwh", "on-prem: electricity, USD per kWh."),
    ("cost_of_capital", "on-prem: annual cost of capital, e.g. 0.08 (default 0: straight-line)."),
    ("colocation_per_kw_month", "on-prem: colocation, USD per kW-month (default 0)."),
    ("network_per_server_year", "on-prem: network, USD per server-year (default 0)."),
    ("support_per_server_year", "on-prem: hardware support, USD per server-year (default 0)."),
    ("staff_per_server_year", "on-prem: operations staff, USD per server-year (default 0)."),
]


def _price_options(f):
    opts = [
        click.option("--cloud", type=click.Choice(CLOUDS, case_sensitive=False), default=None,
                     help="Where the GPUs are; on-prem prices an owned server from the on-prem options."),
        click.option("--price-tier", type=click.Choice(TIERS), default="on-demand", show_default=True,
                     help="Which sourced GPU prices to use; community hosts have no SLA."),
        click.option("--price-per-gpu-hour", type=USD, default=None,
                     help="Your $/GPU-hour (overrides the price data)."),
        click.option("--gpus-per-server", type=GPUS, default=8, show_default=True, help="on-prem: GPUs in that server."),
        *[click.option("--" + n.replace("_", "-"), n, type=AMOUNT, default=None, help=h) for n, h in _ON_PREM],
        click.option("--licence-per-gpu-year", type=DecimalType(0, 10**7, metavar="USD"), default=None,
                     help="Software licence per GPU per year, your figure (not with --licence)."),
        click.option("--licence", "licence", default=None, metavar="NAME",
                     help="Add a sourced per-GPU licence, e.g. nvidia-ai-enterprise (alias nvaie)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _common(f):
    opts = [
        click.option("--model", required=True, metavar="MODEL",
                     help="Llama model id, e.g. llama-3.1-70b (short forms like llama-70b work)."),
        click.option("--gpu", required=True, metavar="GPU",
                     help="GPU id, e.g. h100-sxm, h200, a100-80gb, b200, l40s, l4, mi300x."),
        click.option("--gpus", type=GPUS, default=None,
                     help="GPUs per replica (tensor parallel: 1, 2, 4, 8). Default: the most tokens/s per GPU."),
        click.option("--precision", type=click.Choice(["bf16", "fp8", "fp4"]), default="bf16", show_default=True,
                     help="Weight precision."),
        click.option("--kv-precision", type=click.Choice(["bf16", "fp8"]), default=None,
                     help="KV-cache precision (default: fp8 with fp8/fp4 weights on GPUs that have FP8)."),
        click.option("--prompt-tokens", type=TOKENS, default=1500, show_default=True, help="Prompt tokens per request."),
        click.option("--response-tokens", type=TOKENS, default=300, show_default=True,
                     help="Response tokens per request."),
        click.option("--measured-tps", type=RATE, default=None,
                     help="Your measured output tokens/s for this configuration; replaces the model."),
    ]
    for o in reversed(opts):
        f = o(f)
    return output_options(("table", "json"))(_price_options(f))


def _on_prem(kw):
    """The library's on-prem price when --cloud on-prem (and no --price-per-gpu-hour); notes on stderr for defaults."""
    from .. import selfhost as sh

    if (kw["cloud"] or "").lower() != "on-prem" or kw["price_per_gpu_hour"] is not None:
        if any(kw[n] is not None for n, _ in _ON_PREM):
            raise BadInputError("the on-prem options need --cloud on-prem")
        return None
    try:
        op = sh.on_prem_price(kw["gpu"], gpus_per_server=kw["gpus_per_server"], **{n: kw[n] for n, _ in _ON_PREM})
    except BadInputError as exc:
        text = str(exc)
        for n, _ in _ON_PREM:  # the library names inputs in words; the CLI adds the flags
            word = {"server_price": "server price", "amortization_years": "amortization years",
                    "price_per_kwh": "electricity price"}.get(n)
            if word and word in text:
                text = text.replace(word, "--" + n.replace("_", "-"), 1)
        raise BadInputError(text.replace("on-prem pricing", "--cloud on-prem")) from None
    for i in op.inputs:
        if i.default and i.value:
            click.echo(f"note: --{i.name.replace('_', '-')} {i.value} from {i.source}; give your own for your site", err=True)
    return op


def _library_kwargs(kw) -> dict:
    return dict(gpus=kw["gpus"], precision=kw["precision"], prompt_tokens=kw["prompt_tokens"],
                response_tokens=kw["response_tokens"], kv_precision=kw["kv_precision"],
                measured_tokens_per_s=kw["measured_tps"], licence=kw["licence"],
                licence_per_gpu_year=kw["licence_per_gpu_year"], price_tier=kw["price_tier"],
                cloud=None if (kw["cloud"] or "").lower() == "on-prem" else kw["cloud"],
                price_per_gpu_hour=kw["price_per_gpu_hour"], on_prem=_on_prem(kw))


def _estimate_table(e) -> str:
    src = "measured, user-supplied" if e.measured_override else "predicted"
    lines = [
        f"{e.model} on {e.gpus} x {e.gpu} ({e.precision} weights, {e.kv_precision} KV cache)",
        f"  memory:  weights {e.weights_gb_per_gpu:.1f} GB/GPU, KV cache {e.kv_cache_gb_per_gpu:.1f} GB/GPU "
        f"= {e.kv_cache_tokens:,} tokens",
        f"           holds {e.max_concurrency} concurrent {e.prompt_tokens}+{e.response_tokens}-token requests",
        f"  load:    {e.concurrency} users in flight: {e.running} running, {e.queued} queued ({src})",
        f"  speed:   {e.output_tokens_per_s:,.0f} output tokens/s ({e.output_tokens_per_s_per_gpu:,.0f} per GPU), "
        f"{e.requests_per_s:,.2f} requests/s",
        f"  latency: TTFT {e.ttft_s:.2f} s (queue {e.queue_wait_s:.2f} s), ITL {e.itl_s * 1e3:.1f} ms "
        f"= {e.per_user_output_tokens_per_s:,.1f} tokens/s per user",
    ]
    if e.price_per_gpu_hour is None:
        lines += _wrap(f"cost:    none: {e.price_note}")
    else:
        lines += [
            f"  cost:    ${_money(e.price_per_gpu_hour, 4)}/GPU-hour ({e.price_tier}), ${_money(e.cost_per_hour, 2)}/hour, "
            f"utilization {e.utilization}",
            f"           ${_money(e.cost_per_1k_input)} per 1K input, ${_money(e.cost_per_1k_output)} per 1K output, "
            f"${_money(e.cost_per_request)} per request",
            "",
            "  utilization   per 1K input   per 1K output   per request",
        ]
        for s in e.sensitivity:
            lines.append(f"  {float(s.utilization):>10.0%}   {_money(s.cost_per_1k_input):>12}   "
                         f"{_money(s.cost_per_1k_output):>13}   {_money(s.cost_per_request):>11}")
    lines += ["", "  assumptions (estimate):"]
    for a in e.assumptions:
        lines += _wrap(f"- {a.name}: {a.value} [{a.source}]", "    ")
    return "\n".join(lines)


@click.command("selfhost", short_help="Throughput, latency and cost per token of a self-hosted Llama.")
@_common
@click.option("--concurrency", type=click.IntRange(1, 10**6), default=None, metavar="N",
              help="Users in flight (default: the largest batch the KV cache holds); more queue.")
@click.option("--utilization", type=SHARE, default="0.5", show_default=True, help=UTILIZATION_HELP)
def selfhost_command(fmt: str, output: str | None, concurrency: int | None, utilization: Decimal, **kw: Any) -> None:
    """Throughput, latency and cost per token of serving a Llama model on your own GPUs."""
    from .. import selfhost as sh

    e = sh.estimate(kw["model"], kw["gpu"], concurrency=concurrency, utilization=utilization, **_library_kwargs(kw))
    emit_text(render_json(e.model_dump()) if fmt == "json" else _estimate_table(e) + "\n", output)


def _hosted_from(vs: tuple[str, ...], vs_price: tuple[str, ...], registry: Registry) -> list[Any]:
    from .. import selfhost as sh

    hosted = []
    for spec in vs_price:
        label, _, prices = spec.partition("=")
        try:
            i, o = (Decimal(x) for x in prices.split(","))
        except (ValueError, InvalidOperation):
            raise BadInputError(f"--vs-price {spec!r}: expected LABEL=INPUT_PER_1M,OUTPUT_PER_1M") from None
        if not all(x.is_finite() and 0 <= x <= 1_000_000 for x in (i, o)):
            raise BadInputError(f"--vs-price {spec!r}: prices must be numbers from 0 to 1,000,000 USD per 1M tokens")
        hosted.append(sh.HostedOption(label=label.strip(), input_per_1m=i, output_per_1m=o))
    if vs:
        for key in vs:
            p = registry.get(key)
            hosted.append(sh.HostedOption(label=p.key, input_per_1m=p.input_per_1m_usd,
                                          output_per_1m=p.output_per_1m_usd))
    return hosted


@click.command("breakeven", short_help="Monthly volume above which self-hosting beats each hosted API.")
@_common
@click.option("--vs", "vs", multiple=True, metavar="MODEL",
              help="Hosted option from the price registry, e.g. openai:gpt-4o (repeatable).")
@click.option("--vs-price", "vs_price", multiple=True, metavar="LABEL=IN,OUT",
              help="Hosted option by hand: LABEL=INPUT_PER_1M,OUTPUT_PER_1M (USD).")
@click.option("--utilization", type=SHARE, default=None,
              help=UTILIZATION_HELP + " Default: derived from each volume.")
@click.option("--monthly-tokens", type=click.IntRange(1, 10**18), default=None, metavar="N",
              help="Also price this monthly volume (input + output tokens).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, metavar="FILE.png",
              help="Write a PNG of monthly cost vs volume.")
@click.option("--log", "log_scale", is_flag=True, help="Log-scale axes in the plot.")
@pricing_option
def breakeven_command(fmt: str, output: str | None, vs: tuple[str, ...], vs_price: tuple[str, ...],
                      utilization: Decimal | None, monthly_tokens: int | None, plot_path: str | None, log_scale: bool,
                      registry: Registry, **kw: Any) -> None:
    """Monthly token volume above which self-hosting beats each hosted API."""
    from .. import selfhost as sh

    hosted = _hosted_from(vs, vs_price, registry)
    if not hosted:
        raise BadInputError("name at least one hosted option with --vs PROVIDER:MODEL or --vs-price LABEL=IN,OUT")
    r = sh.breakeven(kw["model"], kw["gpu"], hosted, utilization=utilization, monthly_tokens=monthly_tokens, **_library_kwargs(kw))
    if plot_path:
        sh.plot_breakeven(r, hosted, plot_path, log=log_scale)
    if fmt == "json":
        emit_text(render_json(r.model_dump()), output)
        return
    e = r.selfhost
    lines = [
        f"self-hosted: {e.model} on {e.gpus} x {e.gpu} ({e.precision}), {e.prompt_tokens}/{e.response_tokens} tokens per request",
        f"  price: ${_money(e.price_per_gpu_hour, 4)}/GPU-hour ({e.price_tier}"
        + (f"; sourced range ${e.price_range_low}-${e.price_range_high}" if e.price_range_low is not None
           and e.price_range_low != e.price_range_high else "") + ")",
        *_wrap(f"price row: {e.price_source}", "    "),
        f"  one replica: ${_money(r.replica_monthly_cost, 2)}/month, up to {r.replica_monthly_capacity_tokens:,} tokens/month",
        f"  ({e.output_tokens_per_s:,.0f} output tokens/s at its largest batch, predicted)",
    ]
    lines += _wrap("utilization: " + r.utilization_basis)
    if r.monthly_tokens is not None:
        lines.append(f"  at {r.monthly_tokens:,} tokens/month: {r.replicas_needed} replica(s), "
                     f"${_money(r.monthly_cost_selfhost, 2)}/month, utilization {r.utilization_at_monthly_tokens}")
    lines += ["", f"  {'hosted option':<34} {'$/1M blend':>10} {'break-even tok/mo':>17} {'cheaper above':>17}"
              + (f" {'hosted $/mo':>12}" if r.monthly_tokens is not None else "")]
    for o in r.options:
        be = f"{o.breakeven_monthly_tokens:,}" if o.breakeven_monthly_tokens else "never"
        al = f"{o.always_cheaper_above_monthly_tokens:,}" if o.always_cheaper_above_monthly_tokens else "-"
        tail = f" {_money(o.monthly_cost_hosted, 0):>12}" if o.monthly_cost_hosted is not None else ""
        lines.append(f"  {o.label[:34]:<34} {_money(o.cost_per_1m_blended, 4):>10} {be:>17} {al:>17}{tail}")
    if plot_path:
        lines += ["", *_wrap(f"plot written to {plot_path}")]
    lines.append("\n  (self-hosted figures are estimates; `tokencost selfhost` lists the assumptions)")
    emit_text("\n".join(lines) + "\n", output)


def _plan_table(p) -> str:
    target = ", ".join(x for x in (f"TTFT <= {p.ttft_target_s:g} s" if p.ttft_target_s else "",
                                   f"ITL <= {p.itl_target_s * 1e3:g} ms" if p.itl_target_s else "") if x) or "none"
    demand = (f"{p.peak_requests_per_s:.3g} requests/s at peak, {p.mean_requests_per_s:.3g} mean ({p.demand_source})"
              if p.peak_requests_per_s is not None else "none given: one replica")
    verdict = "meets the targets" if p.meets_targets else "MISSES the targets (closest shown)"
    rng = (f", sourced range ${p.price_range_low}-${p.price_range_high}"
           if p.price_range_low is not None and p.price_range_low != p.price_range_high else "")
    lines = [
        f"plan for {p.model}, {p.prompt_tokens:,} in / {p.response_tokens:,} out tokens per request",
        f"  targets: {target}",
        *_wrap(f"demand:  {demand}"),
        "",
        f"  {p.replicas} replica(s) of {p.gpus_per_replica} x {p.gpu} ({p.precision}){' + autoscaling' if p.autoscale else ''}"
        f"{f', {p.redundancy} spare' if p.redundancy else ''}: {verdict}",
        f"    concurrency {p.concurrency} per replica: TTFT {p.ttft_s:.2f} s, ITL {p.itl_s * 1e3:.1f} ms "
        f"({p.per_user_output_tokens_per_s:,.0f} tokens/s per user)",
        f"    {p.output_tokens_per_s_per_gpu:,.0f} output tokens/s per GPU",
        f"    ${_money(p.monthly_cost, 0)}/month ({p.monthly_gpu_hours:,.0f} GPU-hours at ${p.price_per_gpu_hour}/GPU-hour"
        f"{rng})",
        f"    ${_money(p.cost_per_1m_input, 4)} per 1M input, ${_money(p.cost_per_1m_output, 4)} per 1M output"
        + (f", utilization {p.utilization:.0%}" if p.utilization is not None else ""),
        *_wrap(f"price: {p.price_source}" if p.price_source == "user-supplied" else f"price: {p.price_tier}, {p.price_source}", "    "),
    ]
    if p.candidates:
        lines += ["", f"  {'runners-up: replicas x (GPUs)':<30} {'conc':>5} {'TTFT s':>7} {'ITL ms':>7} {'tok/s/GPU':>10} {'meets':>6} {'$/month':>14}"]
        for c in p.candidates[:8]:
            what = f"{c.replicas} x ({c.gpus_per_replica} x {c.gpu}) {c.precision}"
            lines.append(f"  {what:<30} {c.concurrency:>5} {c.ttft_s:>7.2f} {c.itl_s * 1e3:>7.1f} "
                         f"{c.output_tokens_per_s_per_gpu:>10,.0f} {'yes' if c.meets_targets else 'no':>6} "
                         f"{_money(c.monthly_cost, 0) if c.monthly_cost is not None else 'no price':>14}")
    if p.hosted:
        lines += ["", f"  {'hosted API, same requests':<40} {'$/1M in':>9} {'$/1M out':>9} {'$/month':>14}"]
        lines.append(f"  {'self-hosted (this plan)':<40} {_money(p.cost_per_1m_input, 3):>9} {_money(p.cost_per_1m_output, 3):>9} "
                     f"{_money(p.monthly_cost, 0):>14}")
        for h in p.hosted:
            lines.append(f"  {h.label[:40]:<40} {_money(h.cost_per_1m_input, 3):>9} {_money(h.cost_per_1m_output, 3):>9} "
                         f"{_money(h.monthly_cost, 0):>14}")
    for n in p.notes:
        lines += _wrap("note: " + n)
    lines.append("  (predicted by tokencost's calibrated model; see docs/selfhost.md for its measured error)")
    return "\n".join(lines)


@click.command("plan", short_help="Cheapest self-hosted deployment meeting latency targets.")
@click.option("--model", required=True, metavar="MODEL", help="Llama model id, e.g. llama-3.3-70b.")
@click.option("--prompt-tokens", type=TOKENS, default=None, metavar="N",
              help="Prompt tokens per request (or from the traffic file).")
@click.option("--response-tokens", type=TOKENS, default=None, metavar="N",
              help="Response tokens per request (or from the traffic file).")
@click.option("--ttft", type=SECONDS, default=None, help="Time-to-first-token target, seconds.")
@click.option("--itl", type=SECONDS, default=None, help="Inter-token latency target, seconds.")
@click.option("--requests-per-s", type=RATE, default=None, help="Constant demand, requests per second.")
@click.option("--traffic", type=click.Path(dir_okay=False), default=None, metavar="FILE.csv",
              help="CSV of hour (or timestamp), requests[, prompt_tokens, response_tokens]: sized for the peak hour.")
@click.option("--autoscale", is_flag=True, help="Replicas follow each hour of the traffic instead of the peak.")
@click.option("--gpu", "gpus", multiple=True, metavar="GPU", help="GPU type to consider (repeatable; default: all in the data).")
@click.option("--precision", "precisions", multiple=True, type=click.Choice(["bf16", "fp8", "fp4"]),
              help="Weight precision to consider (repeatable; default: bf16 and fp8).")
@click.option("--price-tier", type=click.Choice(TIERS), default="on-demand", show_default=True,
              help="Which sourced GPU prices to use; community hosts have no SLA.")
@click.option("--redundancy", type=click.IntRange(0, 1000), default=0, show_default=True, metavar="N",
              help="Spare replicas on top of the demand.")
@click.option("--max-load", type=SHARE, default="0.85", show_default=True,
              help="Share of a replica's throughput the peak may use (headroom for bursts), in (0, 1].")
@click.option("--max-gpus", type=click.IntRange(1, 10**6), default=None, metavar="N",
              help="Fail if the demand needs more GPUs than this.")
@click.option("--gpu-price", "gpu_prices", multiple=True, metavar="GPU=USD",
              help="Your $/GPU-hour for a GPU, e.g. b200=5.50 (repeatable; also prices GPUs with no sourced price).")
@click.option("--vs", "vs", multiple=True, metavar="MODEL",
              help="Hosted model priced for the same requests, e.g. openai:gpt-4o (repeatable).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, metavar="FILE.png",
              help="Write the frontier (tokens/s per GPU vs tokens/s per user) as a PNG.")
@output_options(("table", "json"))
@pricing_option
def plan_command(model: str, prompt_tokens: int | None, response_tokens: int | None, ttft: Decimal | None,
                 itl: Decimal | None, requests_per_s: Decimal | None, traffic: str | None, autoscale: bool,
                 gpus: tuple[str, ...], precisions: tuple[str, ...], price_tier: str, redundancy: int,
                 max_load: Decimal, max_gpus: int | None, gpu_prices: tuple[str, ...], vs: tuple[str, ...],
                 plot_path: str | None, fmt: str, output: str | None, registry: Registry) -> None:
    """The cheapest self-hosted deployment meeting latency targets at a demand."""
    from .. import selfhost as sh

    own = {}
    for spec in gpu_prices:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--gpu-price {spec!r}: expected GPU=USD_PER_GPU_HOUR, e.g. b200=5.50")
        own[name.strip()] = value.strip()
    p = sh.plan(model, prompt_tokens=prompt_tokens, response_tokens=response_tokens, ttft_s=ttft, itl_s=itl,
                requests_per_s=requests_per_s, traffic=traffic, gpus=list(gpus) or None, precisions=list(precisions) or None,
                price_tier=price_tier, redundancy=redundancy, autoscale=autoscale, max_load=max_load, max_gpus=max_gpus,
                gpu_prices=own or None,
                vs=vs, registry=registry)
    if plot_path:
        sh.plot_frontier(p, plot_path)
    if fmt == "json":
        emit_text(render_json(p.model_dump()), output)
        return
    written = "\n" + "\n".join(_wrap(f"frontier plot written to {plot_path}")) if plot_path else ""
    emit_text(_plan_table(p) + written + "\n", output)
