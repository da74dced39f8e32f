"""Click commands ``selfhost`` and ``breakeven``: parse, call tokencost.selfhost, format.

``tokencost.cli`` adds them to the main group; library errors reach ``tokencost.cli.main``, which
prints one line on stderr and exits with the error's code (2 for bad input).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

from tokencost.errors import BadInputError
from tokencost.outputs import render_json

CLOUDS = ["aws", "azure", "gcp", "lambda", "coreweave", "runpod", "on-prem"]


def _decimal(_ctx, param, value):
    if value is None:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if not d.is_finite():
        raise click.BadParameter(f"{value!r} is not a finite number")
    return d


def _money(d: Decimal, places: int = 6) -> str:
    return f"{d:.{places}f}"


def _common(f):
    opts = [
        click.option("--model", required=True, help="Llama model id, e.g. llama-3.1-70b (short forms like llama-70b work)."),
        click.option("--gpu", required=True, help="GPU id, e.g. h100-sxm, h200, a100-80gb, b200, l40s, l4, mi300x."),
        click.option("--gpus", type=int, default=None, help="GPUs per replica (tensor parallel: 1, 2, 4, 8). Default: smallest that fits."),
        click.option("--precision", type=click.Choice(["bf16", "fp8", "fp4"]), default="bf16", show_default=True, help="Weight precision."),
        click.option("--kv-precision", type=click.Choice(["bf16", "fp8"]), default=None, help="KV-cache precision (default: fp8 with fp8/fp4 weights on GPUs that have FP8)."),
        click.option("--prompt-tokens", type=int, default=1500, show_default=True),
        click.option("--response-tokens", type=int, default=300, show_default=True),
        click.option("--cloud", type=click.Choice(CLOUDS, case_sensitive=False), default=None, help="Where the GPUs are; on-prem needs the --server-* options."),
        click.option("--price-per-gpu-hour", callback=_decimal, default=None, help="Your $/GPU-hour (overrides the price data)."),
        click.option("--server-price", callback=_decimal, default=None, help="on-prem: purchase price of one server, USD."),
        click.option("--gpus-per-server", type=int, default=8, show_default=True, help="on-prem: GPUs in that server."),
        click.option("--amortization-years", callback=_decimal, default=None, help="on-prem: years to write the server off."),
        click.option("--server-power-kw", callback=_decimal, default=None, help="on-prem: average server draw, kW."),
        click.option("--pue", callback=_decimal, default=None, help="on-prem: data-centre PUE (>= 1)."),
        click.option("--price-per-kwh", callback=_decimal, default=None, help="on-prem: electricity, USD per kWh."),
        click.option("--licence-per-gpu-year", callback=_decimal, default=None, help="Software licence per GPU per year (e.g. NVIDIA AI Enterprise for NIM)."),
        click.option("--licence", "licence", default=None, help="Add a sourced per-GPU licence, e.g. nvidia-ai-enterprise (alias nvaie)."),
        click.option("--measured-tps", callback=_decimal, default=None, help="Your measured output tokens/s for this configuration; replaces the model."),
        click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _resolve_price(kw) -> Decimal | None:
    """$/GPU-hour from --price-per-gpu-hour, or the on-prem options, plus any licence."""
    from tokencost.selfhost import HOURS_PER_YEAR, on_prem_price_per_gpu_hour

    licence = kw["licence_per_gpu_year"] or Decimal(0)
    if licence < 0:
        raise BadInputError(f"licence per GPU-year must be >= 0, got {licence}")
    if (kw["cloud"] or "").lower() == "on-prem" and kw["price_per_gpu_hour"] is None:
        from tokencost.selfhost import load_hardware

        defaults = load_hardware().onprem
        needed = ["server_price", "amortization_years", "server_power_kw", "pue", "price_per_kwh"]
        missing = [n for n in needed if kw[n] is None and n not in defaults]
        if not missing:
            for name in needed:
                if kw[name] is None:
                    d = defaults[name]
                    kw[name] = d.value
                    click.echo(f"note: --{name.replace('_', '-')} {d.value} from {d.source} (checked {d.checked}); "
                               f"give your own for your site", err=True)
        if missing:
            raise BadInputError(
                "--cloud on-prem needs " + ", ".join("--" + n.replace("_", "-") for n in missing)
                + " (no sourced defaults ship for these; see docs/selfhost.md)"
            )
        return on_prem_price_per_gpu_hour(kw["server_price"], kw["gpus_per_server"], kw["amortization_years"],
                                          kw["server_power_kw"], kw["pue"], kw["price_per_kwh"], licence)
    if kw["price_per_gpu_hour"] is not None:
        if kw["price_per_gpu_hour"] < 0:
            raise BadInputError(f"price per GPU-hour must be >= 0, got {kw['price_per_gpu_hour']}")
        from tokencost.selfhost import MONEY_QUANTUM

        return (kw["price_per_gpu_hour"] + licence / HOURS_PER_YEAR).quantize(MONEY_QUANTUM)
    if licence:
        raise BadInputError("--licence-per-gpu-year needs --price-per-gpu-hour or on-prem options to add to")
    return None


def _estimate_table(e) -> str:
    lines = [
        f"{e.model} on {e.gpus} x {e.gpu} ({e.precision} weights, {e.kv_precision} KV cache)",
        f"  fits: weights {e.weights_gb_per_gpu:.1f} GB/GPU, KV cache {e.kv_cache_gb_per_gpu:.1f} GB/GPU "
        f"= {e.kv_cache_tokens:,} tokens, up to {e.max_concurrency} concurrent {e.prompt_tokens}+{e.response_tokens}-token requests",
        f"  throughput at concurrency {e.concurrency}{' (measured, user-supplied)' if e.measured_override else ' (predicted)'}:",
        f"    prefill {e.prefill_tokens_per_s:,.0f} tokens/s, decode {e.output_tokens_per_s:,.0f} output tokens/s "
        f"({e.per_user_output_tokens_per_s:,.1f} per user), {e.requests_per_s:,.2f} requests/s, TTFT ~{e.time_to_first_token_s:.2f} s",
        f"  cost at ${_money(e.price_per_gpu_hour, 4)}/GPU-hour (${_money(e.cost_per_hour, 2)}/hour), utilization {e.utilization}:",
        f"    ${_money(e.cost_per_1k_input)} per 1K input, ${_money(e.cost_per_1k_output)} per 1K output, ${_money(e.cost_per_request)} per request",
        "",
        "  utilization   per 1K input   per 1K output   per request",
    ]
    for s in e.sensitivity:
        lines.append(f"  {float(s.utilization):>10.0%}   {_money(s.cost_per_1k_input):>12}   {_money(s.cost_per_1k_output):>13}   {_money(s.cost_per_request):>11}")
    lines += ["", "  assumptions (estimate):"]
    for a in e.assumptions:
        lines.append(f"    - {a.name}: {a.value} [{a.source}]")
    return "\n".join(lines)


@click.command("selfhost")
@_common
@click.option("--concurrency", type=int, default=None, help="Concurrent requests (default: the largest the KV cache allows).")
@click.option("--utilization", callback=_decimal, default="0.5", show_default=True, help="Share of paid GPU time serving traffic, in (0, 1].")
def selfhost_command(fmt, concurrency, utilization, **kw):
    """Throughput and cost per token of serving a Llama model on your own GPUs."""
    from tokencost import selfhost as sh

    price = _resolve_price(kw)
    e = sh.estimate(kw["model"], kw["gpu"], gpus=kw["gpus"], precision=kw["precision"], prompt_tokens=kw["prompt_tokens"],
                    response_tokens=kw["response_tokens"], concurrency=concurrency, utilization=utilization,
                    cloud=None if (kw["cloud"] or "").lower() == "on-prem" else kw["cloud"], price_per_gpu_hour=price,
                    kv_precision=kw["kv_precision"], measured_tokens_per_s=kw["measured_tps"], licence=kw["licence"])
    if fmt == "json":
        click.echo(render_json(e.model_dump()), nl=False)
    else:
        click.echo(_estimate_table(e))


@click.command("breakeven")
@_common
@click.option("--vs", "vs", multiple=True, help="Hosted option from the price registry, e.g. openai:gpt-4o (repeatable).")
@click.option("--vs-price", "vs_price", multiple=True, help="Hosted option by hand: LABEL=INPUT_PER_1M,OUTPUT_PER_1M (USD).")
@click.option("--utilization", callback=_decimal, default="1", show_default=True, help="Load cap per replica, in (0, 1].")
@click.option("--monthly-tokens", type=int, default=None, help="Also price this monthly volume (input + output tokens).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write a PNG of monthly cost vs monthly tokens.")
@click.option("--pricing", "pricing", multiple=True, type=click.Path(dir_okay=True),
              help="Extra price file or directory loaded on top of the shipped prices (repeatable).")
def breakeven_command(fmt, vs, vs_price, utilization, monthly_tokens, plot_path, pricing, **kw):
    """Monthly token volume above which self-hosting beats each hosted API."""
    from tokencost import selfhost as sh

    hosted = []
    for spec in vs_price:
        label, _, prices = spec.partition("=")
        try:
            i, o = (Decimal(x) for x in prices.split(","))
        except (ValueError, InvalidOperation):
            raise BadInputError(f"--vs-price {spec!r}: expected LABEL=INPUT_PER_1M,OUTPUT_PER_1M") from None
        hosted.append(sh.HostedOption(label=label.strip(), input_per_1m=i, output_per_1m=o))
    if vs:
        from tokencost.registry import load_registry  # lazy: the registry is only needed for --vs

        reg = load_registry(pricing)
        for key in vs:
            p = reg.get(key)
            hosted.append(sh.HostedOption(label=f"{p.key} (as of {p.as_of})", input_per_1m=p.input_per_1m_usd, output_per_1m=p.output_per_1m_usd))
    if not hosted:
        raise BadInputError("name at least one hosted option with --vs PROVIDER:MODEL or --vs-price LABEL=IN,OUT")
    price = _resolve_price(kw)
    r = sh.breakeven(kw["model"], kw["gpu"], hosted, gpus=kw["gpus"], precision=kw["precision"],
                     prompt_tokens=kw["prompt_tokens"], response_tokens=kw["response_tokens"], utilization=utilization,
                     cloud=None if (kw["cloud"] or "").lower() == "on-prem" else kw["cloud"], price_per_gpu_hour=price,
                     monthly_tokens=monthly_tokens, kv_precision=kw["kv_precision"], measured_tokens_per_s=kw["measured_tps"],
                     licence=kw["licence"])
    if plot_path:
        sh.plot_breakeven(r, hosted, plot_path)
    if fmt == "json":
        click.echo(render_json(r.model_dump()), nl=False)
        return
    e = r.selfhost
    lines = [
        f"self-hosted: {e.model} on {e.gpus} x {e.gpu} ({e.precision}), ${_money(e.price_per_gpu_hour, 4)}/GPU-hour, "
        f"{e.prompt_tokens}/{e.response_tokens} tokens per request",
        f"  one replica: ${_money(r.replica_monthly_cost, 2)}/month, serves up to {r.replica_monthly_capacity_tokens:,} tokens/month "
        f"at utilization {e.utilization} ({e.output_tokens_per_s:,.0f} output tokens/s saturated, predicted)",
    ]
    if r.monthly_tokens is not None:
        lines.append(f"  at {r.monthly_tokens:,} tokens/month: {r.replicas_needed} replica(s), ${_money(r.monthly_cost_selfhost, 2)}/month")
    lines += ["", f"  {'hosted option':<40} {'$/1M blended':>12} {'break-even tokens/mo':>22} {'cheaper everywhere above':>25}"
              + ("  hosted $/month" if r.monthly_tokens is not None else "")]
    for o in r.options:
        be = f"{o.breakeven_monthly_tokens:,}" if o.breakeven_monthly_tokens else "never"
        al = f"{o.always_cheaper_above_monthly_tokens:,}" if o.always_cheaper_above_monthly_tokens else "-"
        tail = f"  {_money(o.monthly_cost_hosted, 2):>14}" if o.monthly_cost_hosted is not None else ""
        lines.append(f"  {o.label:<40} {_money(o.cost_per_1m_blended, 4):>12} {be:>22} {al:>25}{tail}")
    if plot_path:
        lines.append(f"\n  plot written to {plot_path}")
    lines.append("\n  (self-hosted figures are estimates; see `tokencost selfhost` for the assumptions)")
    click.echo("\n".join(lines))
