"""Click commands ``selfhost``, ``breakeven`` and ``plan``: parse, call tokencost.selfhost, format.

``tokencost.cli`` adds them to the main group; library errors reach ``tokencost.cli.main``, which
prints one line on stderr and exits with the error's code (2 for bad input).  Tables fit 100 columns.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal, InvalidOperation

import click

from tokencost.errors import BadInputError
from tokencost.outputs import render_json

CLOUDS = ["aws", "azure", "gcp", "lambda", "coreweave", "runpod", "on-prem"]
TIERS = ["on-demand", "reserved", "spot", "community", "any"]
WIDTH = 100
#: --utilization means the same thing in every command that takes it.
UTILIZATION_HELP = "Share of paid GPU time spent serving at the modelled throughput, in (0, 1]."


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


def _money(d: Decimal | None, places: int = 6) -> str:
    return "-" if d is None else f"{d:,.{places}f}"


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False, break_long_words=False) or [indent]



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
        click.option("--price-per-gpu-hour", callback=_decimal, default=None, metavar="USD",
                     help="Your $/GPU-hour (overrides the price data)."),
        click.option("--gpus-per-server", type=int, default=8, show_default=True, help="on-prem: GPUs in that server."),
        *[click.option("--" + n.replace("_", "-"), n, callback=_decimal, default=None, metavar="NUMBER", help=h) for n, h in _ON_PREM],
        click.option("--licence-per-gpu-year", callback=_decimal, default=None, metavar="USD",
                     help="Software licence per GPU per year, your figure (not with --licence)."),
        click.option("--licence", "licence", default=None,
                     help="Add a sourced per-GPU licence, e.g. nvidia-ai-enterprise (alias nvaie)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _common(f):
    opts = [
        click.option("--model", required=True, help="Llama model id, e.g. llama-3.1-70b (short forms like llama-70b work)."),
        click.option("--gpu", required=True, help="GPU id, e.g. h100-sxm, h200, a100-80gb, b200, l40s, l4, mi300x."),
        click.option("--gpus", type=int, default=None,
                     help="GPUs per replica (tensor parallel: 1, 2, 4, 8). Default: the most tokens/s per GPU."),
        click.option("--precision", type=click.Choice(["bf16", "fp8", "fp4"]), default="bf16", show_default=True,
                     help="Weight precision."),
        click.option("--kv-precision", type=click.Choice(["bf16", "fp8"]), default=None,
                     help="KV-cache precision (default: fp8 with fp8/fp4 weights on GPUs that have FP8)."),
        click.option("--prompt-tokens", type=int, default=1500, show_default=True, help="Prompt tokens per request."),
        click.option("--response-tokens", type=int, default=300, show_default=True, help="Response tokens per request."),
        click.option("--measured-tps", callback=_decimal, default=None, metavar="NUMBER",
                     help="Your measured output tokens/s for this configuration; replaces the model."),
        click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                     help="Output format."),
    ]
    for o in reversed(opts):
        f = o(f)
    return _price_options(f)


def _on_prem(kw):
    """The library's on-prem price when --cloud on-prem (and no --price-per-gpu-hour); notes on stderr for defaults."""
    from tokencost import selfhost as sh

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
@click.option("--concurrency", type=int, default=None,
              help="Users in flight (default: the largest batch the KV cache holds); more queue.")
@click.option("--utilization", callback=_decimal, default="0.5", show_default=True, metavar="SHARE", help=UTILIZATION_HELP)
def selfhost_command(fmt, concurrency, utilization, **kw):
    """Throughput, latency and cost per token of serving a Llama model on your own GPUs."""
    from tokencost import selfhost as sh

    e = sh.estimate(kw["model"], kw["gpu"], concurrency=concurrency, utilization=utilization, **_library_kwargs(kw))
    if fmt == "json":
        click.echo(render_json(e.model_dump()), nl=False)
    else:
        click.echo(_estimate_table(e))


def _hosted_from(vs, vs_price, pricing):
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
            hosted.append(sh.HostedOption(label=p.key, input_per_1m=p.input_per_1m_usd,
                                          output_per_1m=p.output_per_1m_usd))
    return hosted


@click.command("breakeven", short_help="Monthly volume above which self-hosting beats each hosted API.")
@_common
@click.option("--vs", "vs", multiple=True, help="Hosted option from the price registry, e.g. openai:gpt-4o (repeatable).")
@click.option("--vs-price", "vs_price", multiple=True, help="Hosted option by hand: LABEL=INPUT_PER_1M,OUTPUT_PER_1M (USD).")
@click.option("--utilization", callback=_decimal, default=None, metavar="SHARE",
              help=UTILIZATION_HELP + " Default: derived from each volume.")
@click.option("--monthly-tokens", type=int, default=None, help="Also price this monthly volume (input + output tokens).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write a PNG of monthly cost vs volume.")
@click.option("--log", "log_scale", is_flag=True, help="Log-scale axes in the plot.")
@click.option("--pricing", "pricing", multiple=True, type=click.Path(dir_okay=True),
              help="Extra price file or directory loaded on top of the shipped prices (repeatable).")
def breakeven_command(fmt, vs, vs_price, utilization, monthly_tokens, plot_path, log_scale, pricing, **kw):
    """Monthly token volume above which self-hosting beats each hosted API."""
    from tokencost import selfhost as sh

    hosted = _hosted_from(vs, vs_price, pricing)
    if not hosted:
        raise BadInputError("name at least one hosted option with --vs PROVIDER:MODEL or --vs-price LABEL=IN,OUT")
    r = sh.breakeven(kw["model"], kw["gpu"], hosted, utilization=utilization, monthly_tokens=monthly_tokens, **_library_kwargs(kw))
    if plot_path:
        sh.plot_breakeven(r, hosted, plot_path, log=log_scale)
    if fmt == "json":
        click.echo(render_json(r.model_dump()), nl=False)
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
        lines.append(f"\n  plot written to {plot_path}")
    lines.append("\n  (self-hosted figures are estimates; `tokencost selfhost` lists the assumptions)")
    click.echo("\n".join(lines))


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
@click.option("--model", required=True, help="Llama model id, e.g. llama-3.3-70b.")
@click.option("--prompt-tokens", type=int, default=None, help="Prompt tokens per request (or from the traffic file).")
@click.option("--response-tokens", type=int, default=None, help="Response tokens per request (or from the traffic file).")
@click.option("--ttft", callback=_decimal, default=None, metavar="SECONDS", help="Time-to-first-token target, seconds.")
@click.option("--itl", callback=_decimal, default=None, metavar="SECONDS", help="Inter-token latency target, seconds.")
@click.option("--requests-per-s", callback=_decimal, default=None, metavar="RATE", help="Constant demand, requests per second.")
@click.option("--traffic", type=click.Path(dir_okay=False), default=None,
              help="CSV of hour (or timestamp), requests[, prompt_tokens, response_tokens]: sized for the peak hour.")
@click.option("--autoscale", is_flag=True, help="Replicas follow each hour of the traffic instead of the peak.")
@click.option("--gpu", "gpus", multiple=True, help="GPU type to consider (repeatable; default: all in the data).")
@click.option("--precision", "precisions", multiple=True, type=click.Choice(["bf16", "fp8", "fp4"]),
              help="Weight precision to consider (repeatable; default: bf16 and fp8).")
@click.option("--price-tier", type=click.Choice(TIERS), default="on-demand", show_default=True,
              help="Which sourced GPU prices to use; community hosts have no SLA.")
@click.option("--redundancy", type=int, default=0, show_default=True, help="Spare replicas on top of the demand.")
@click.option("--max-load", callback=_decimal, default="0.85", show_default=True, metavar="SHARE",
              help="Share of a replica's throughput the peak may use (headroom for bursts), in (0, 1].")
@click.option("--max-gpus", type=int, default=None, help="Fail if the demand needs more GPUs than this.")
@click.option("--gpu-price", "gpu_prices", multiple=True, metavar="GPU=USD",
              help="Your $/GPU-hour for a GPU, e.g. b200=5.50 (repeatable; also prices GPUs with no sourced price).")
@click.option("--vs", "vs", multiple=True, help="Hosted model priced for the same requests, e.g. openai:gpt-4o (repeatable).")
@click.option("--pricing", "pricing", multiple=True, type=click.Path(dir_okay=True),
              help="Extra price file or directory loaded on top of the shipped prices (repeatable).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the frontier (tokens/s per GPU vs tokens/s per user) as a PNG.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
def plan_command(model, prompt_tokens, response_tokens, ttft, itl, requests_per_s, traffic, autoscale, gpus, precisions,
                 price_tier, redundancy, max_load, max_gpus, gpu_prices, vs, pricing, plot_path, fmt):
    """The cheapest self-hosted deployment meeting latency targets at a demand."""
    from tokencost import selfhost as sh

    own = {}
    for spec in gpu_prices:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--gpu-price {spec!r}: expected GPU=USD_PER_GPU_HOUR, e.g. b200=5.50")
        own[name.strip()] = value.strip()
    registry = None
    if vs and pricing:
        from tokencost.registry import load_registry

        registry = load_registry(pricing)
    p = sh.plan(model, prompt_tokens=prompt_tokens, response_tokens=response_tokens, ttft_s=ttft, itl_s=itl,
                requests_per_s=requests_per_s, traffic=traffic, gpus=list(gpus) or None, precisions=list(precisions) or None,
                price_tier=price_tier, redundancy=redundancy, autoscale=autoscale, max_load=max_load, max_gpus=max_gpus,
                gpu_prices=own or None,
                vs=vs, registry=registry)
    if plot_path:
        sh.plot_frontier(p, plot_path)
    if fmt == "json":
        click.echo(render_json(p.model_dump()), nl=False)
        return
    click.echo(_plan_table(p) + (f"\n  frontier plot written to {plot_path}" if plot_path else ""))
