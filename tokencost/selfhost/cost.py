"""Money: cost per token at a utilization, on-prem $/GPU-hour, and the break-even against hosted APIs."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict, model_validator

from tokencost.errors import BadInputError

from .hardware import (
    KV_BYTES,
    WEIGHT_BYTES,
    CloudPrice,
    Gpu,
    Hardware,
    ModelArch,
    _norm,
    load_hardware,
    resolve_gpu,
    resolve_licence,
    resolve_model,
)
from .roofline import (
    ALLOWED_GPU_COUNTS,
    KV_MEMORY_FRACTION,
    RUNTIME_RESERVE_GB,
    Calibration,
    _Deployment,
    _effective_concurrency,
    _is_rocm,
    _timings,
    default_calibration,
)


MONEY_QUANTUM = Decimal("1E-10")
HOURS_PER_MONTH = Decimal("730")  # 8,760 h / 12
HOURS_PER_YEAR = Decimal("8760")
SENSITIVITY_UTILIZATIONS = (Decimal("0.2"), Decimal("0.5"), Decimal("0.8"), Decimal("1"))


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------


class Assumption(BaseModel):
    name: str
    value: str
    source: str


class SensitivityRow(BaseModel):
    utilization: Decimal
    cost_per_1k_input: Decimal
    cost_per_1k_output: Decimal
    cost_per_request: Decimal


class SelfHostEstimate(BaseModel):
    model: str
    gpu: str
    gpus: int
    precision: str
    kv_precision: str
    fits: bool
    weights_gb_per_gpu: float
    kv_cache_gb_per_gpu: float
    kv_cache_tokens: int
    max_concurrency: int
    concurrency: int
    prompt_tokens: int
    response_tokens: int
    prefill_tokens_per_s: float
    output_tokens_per_s: float
    per_user_output_tokens_per_s: float
    time_to_first_token_s: float
    requests_per_s: float
    measured_override: bool
    cloud: str | None
    price_per_gpu_hour: Decimal
    price_source: str
    price_row: CloudPrice | None = None
    cost_per_hour: Decimal
    utilization: Decimal
    cost_per_1k_input: Decimal
    cost_per_1k_output: Decimal
    cost_per_request: Decimal
    sensitivity: list[SensitivityRow]
    assumptions: list[Assumption]


def _dec_seconds(x: float) -> Decimal:
    return Decimal(f"{x:.9e}")


def _q(x: Decimal) -> Decimal:
    return x.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def _as_decimal(value, what: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise BadInputError(f"{what} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise BadInputError(f"{what} must be a finite number, got {value!r}")
    return d


def _check_utilization(u) -> Decimal:
    d = _as_decimal(u, "utilization")
    if not (Decimal(0) < d <= Decimal(1)):
        raise BadInputError(f"utilization must be in (0, 1], got {u}; e.g. 0.5 for a GPU busy half the time")
    return d


def _check_tokens(value, what: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"{what} must be a whole number of tokens, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise BadInputError(f"{what} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def _smallest_fit(model: ModelArch, gpu: Gpu, precision: str, kv_precision: str | None, prompt: int, response: int, hw: Hardware) -> str:
    """A suggestion naming the smallest configuration that holds one sequence."""
    options = []
    precisions = [precision] + [p for p in ("fp8", "fp4") if p != precision and WEIGHT_BYTES[p] < WEIGHT_BYTES[precision]]
    for g in [gpu] + sorted((x for x in hw.gpus.values() if x.id != gpu.id), key=lambda x: -float(x.memory_gb)):
        for p in precisions:
            if p != "bf16" and not g.has_native(p):
                continue
            for n in ALLOWED_GPU_COUNTS:
                dep = _Deployment(model=model, gpu=g, gpus=n, precision=p, kv_precision=kv_precision or _default_kv(p, g))
                if dep.max_concurrency(prompt, response) >= 1:
                    options.append((n * float(g.memory_gb), f"{n} x {g.id} at {p}"))
                    break
    if not options:
        return "no configuration of up to 8 GPUs in pricing/hardware/gpus.toml holds it"
    options.sort()
    same_gpu = [o for _, o in options if o.split(" x ")[1].startswith(gpu.id + " ")]
    picks = ([same_gpu[0]] if same_gpu else []) + [o for _, o in options[:2] if not same_gpu or o != same_gpu[0]]
    return "smallest that fits: " + "; or ".join(picks[:2])


def _default_kv(precision: str, gpu: Gpu) -> str:
    return "fp8" if precision in ("fp8", "fp4") and gpu.fp8_tflops is not None else "bf16"


def _price(gpu: Gpu, cloud: str | None, price_per_gpu_hour, hw: Hardware) -> tuple[Decimal, str, str | None, CloudPrice | None]:
    if price_per_gpu_hour is not None:
        p = _as_decimal(price_per_gpu_hour, "price per GPU-hour")
        if p < 0:
            raise BadInputError(f"price per GPU-hour must be >= 0, got {price_per_gpu_hour}")
        return p, "user-supplied", cloud, None
    if cloud is None:
        candidates = [p for p in hw.prices if p.gpu == gpu.id]
    else:
        candidates = [p for p in hw.prices if p.gpu == gpu.id and p.cloud == cloud.lower()]
    if not candidates:
        where = f" at {cloud}" if cloud else ""
        raise BadInputError(
            f"no sourced price for {gpu.id}{where} in pricing/hardware/clouds.toml; pass --price-per-gpu-hour "
            f"(or on-prem options) with your own rate"
        )
    best = min(candidates, key=lambda p: p.price_per_gpu_hour)
    label = f"{best.cloud} {best.pricing_model} {best.region} (effective {best.effective}, checked {best.checked}): {best.source}"
    return best.price_per_gpu_hour, label, best.cloud, best


def on_prem_price_per_gpu_hour(
    server_price, gpus_per_server: int, amortization_years, server_power_kw, pue, price_per_kwh,
    licence_per_gpu_year=Decimal(0),
) -> Decimal:
    """All-in $/GPU-hour of an owned server: amortized purchase + energy x PUE + licence.  All inputs user-supplied."""
    vals = {
        "server price": _as_decimal(server_price, "server price"),
        "amortization years": _as_decimal(amortization_years, "amortization years"),
        "server power (kW)": _as_decimal(server_power_kw, "server power (kW)"),
        "PUE": _as_decimal(pue, "PUE"),
        "price per kWh": _as_decimal(price_per_kwh, "price per kWh"),
        "licence per GPU-year": _as_decimal(licence_per_gpu_year, "licence per GPU-year"),
    }
    for k, v in vals.items():
        if v < 0:
            raise BadInputError(f"{k} must be >= 0, got {v}")
    if vals["amortization years"] == 0:
        raise BadInputError("amortization years must be > 0")
    if vals["PUE"] < 1:
        raise BadInputError(f"PUE must be >= 1, got {vals['PUE']}")
    if gpus_per_server <= 0:
        raise BadInputError(f"GPUs per server must be > 0, got {gpus_per_server}")
    hours = vals["amortization years"] * HOURS_PER_YEAR
    per_server_hour = vals["server price"] / hours + vals["server power (kW)"] * vals["PUE"] * vals["price per kWh"]
    return _q(per_server_hour / Decimal(gpus_per_server) + vals["licence per GPU-year"] / HOURS_PER_YEAR)


def _costs(hourly: Decimal, t_pre: float, t_step: float, concurrency: int, prompt: int, response: int, u: Decimal):
    """Cost per request and its split between input (prefill time) and output (decode time)."""
    per_req_pre = _dec_seconds(t_pre)
    per_req_dec = _dec_seconds(response * t_step / concurrency)
    per_second = hourly / Decimal(3600)
    cost_pre = per_second * per_req_pre / u
    cost_dec = per_second * per_req_dec / u
    per_1k_in = cost_pre / Decimal(prompt) * 1000 if prompt else Decimal(0)
    per_1k_out = cost_dec / Decimal(response) * 1000
    return _q(cost_pre + cost_dec), _q(per_1k_in), _q(per_1k_out)


def estimate(
    model: str,
    gpu: str,
    gpus: int | None = None,
    precision: str = "bf16",
    prompt_tokens: int = 1500,
    response_tokens: int = 300,
    concurrency: int | None = None,
    utilization=Decimal("0.5"),
    cloud: str | None = None,
    price_per_gpu_hour=None,
    kv_precision: str | None = None,
    measured_tokens_per_s=None,
    calibration: Calibration | None = None,
    licence: str | None = None,
) -> SelfHostEstimate:
    """Throughput and cost of serving ``model`` on ``gpus`` x ``gpu``.

    ``gpus=None`` picks the smallest tensor-parallel size (1, 2, 4, 8) that holds one sequence;
    ``concurrency=None`` the largest batch the KV cache allows.  ``utilization`` is the share of
    paid GPU time spent serving.  The price comes from ``price_per_gpu_hour`` or, failing that, the
    cheapest sourced row of ``clouds.toml`` for this GPU (and ``cloud``).  ``measured_tokens_per_s``
    replaces the model's output throughput (all timings scaled to match).  ``licence`` (e.g.
    ``"nvidia-ai-enterprise"``) adds that per-GPU-year licence from ``licences.toml`` to the price.
    """
    hw = load_hardware()
    arch = resolve_model(model, hw)
    g = resolve_gpu(gpu, hw)
    prec = _norm(precision)
    if prec not in WEIGHT_BYTES:
        raise BadInputError(f"unknown precision {precision!r}; use one of bf16, fp8, fp4")
    kv = _norm(kv_precision) if kv_precision else _default_kv(prec, g)
    if kv not in KV_BYTES:
        raise BadInputError(f"unknown KV-cache precision {kv_precision!r}; use bf16 or fp8")
    prompt = _check_tokens(prompt_tokens, "prompt tokens", allow_zero=True)
    response = _check_tokens(response_tokens, "response tokens")
    u = _check_utilization(utilization)
    if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency <= 0):
        raise BadInputError(f"concurrency must be a positive whole number, got {concurrency!r}")
    if gpus is not None and gpus not in ALLOWED_GPU_COUNTS:
        raise BadInputError(f"gpus must be one of {', '.join(map(str, ALLOWED_GPU_COUNTS))} (tensor parallel within one server), got {gpus}")
    cal = calibration or default_calibration()
    counts = [gpus] if gpus is not None else list(ALLOWED_GPU_COUNTS)
    dep = None
    for n in counts:
        cand = _Deployment(model=arch, gpu=g, gpus=n, precision=prec, kv_precision=kv)
        if cand.max_concurrency(prompt, response) >= 1:
            dep = cand
            break
    if dep is None:
        n = counts[-1]
        need = arch.params_total * WEIGHT_BYTES[prec] / 1e9
        raise BadInputError(
            f"{arch.id} at {prec} ({need:,.0f} GB of weights plus KV cache for a {prompt + response}-token sequence) "
            f"does not fit on {n} x {g.id} ({float(g.memory_gb):g} GB each); "
            + _smallest_fit(arch, g, prec, kv_precision and kv, prompt, response, hw)
        )
    price, price_source, used_cloud, price_row = _price(g, cloud, price_per_gpu_hour, hw)
    lic = resolve_licence(licence, hw) if licence else None
    if lic is not None:
        price = _q(price + lic.price_per_gpu_year / HOURS_PER_YEAR)

    c = _effective_concurrency(dep, prompt, response, concurrency, cal)
    t_pre, t_step = _timings(dep, prompt, response, c, cal)
    tps = c * response / (c * t_pre + response * t_step)
    override = measured_tokens_per_s is not None
    if override:
        m = float(_as_decimal(measured_tokens_per_s, "measured tokens/s"))
        if m <= 0:
            raise BadInputError(f"measured tokens/s must be > 0, got {measured_tokens_per_s}")
        scale = tps / m
        t_pre, t_step, tps = t_pre * scale, t_step * scale, m

    hourly = price * Decimal(dep.gpus)
    cost_req, per_1k_in, per_1k_out = _costs(hourly, t_pre, t_step, c, prompt, response, u)
    sens = []
    for su in SENSITIVITY_UTILIZATIONS:
        r, i, o = _costs(hourly, t_pre, t_step, c, prompt, response, su)
        sens.append(SensitivityRow(utilization=su, cost_per_1k_input=i, cost_per_1k_output=o, cost_per_request=r))

    assumptions = [
        Assumption(name="GPU", value=f"{g.name}: {float(g.memory_gb):g} GB, {float(g.memory_bandwidth_gbps):g} GB/s, "
                   f"{g.peak_tflops(prec):g} dense TFLOPS at {prec if g.has_native(prec) else 'bf16 (weight-only ' + prec + ')'}",
                   source=f"{g.source} (checked {g.checked})"),
        Assumption(name="model", value=f"{arch.id}: {arch.params_total / 1e9:.1f}B params"
                   + (f", {arch.params_active / 1e9:.0f}B active" if arch.is_moe else "")
                   + f", {arch.n_layers} layers, {arch.n_kv_heads} KV heads x {arch.hd}", source=f"{arch.source} (checked {arch.checked})"),
        Assumption(name="memory", value=f"KV cache = {KV_MEMORY_FRACTION:.0%} of (GPU memory - weights - {RUNTIME_RESERVE_GB:g} GB reserve); "
                   f"{kv} KV cache", source="engine defaults (vLLM gpu_memory_utilization, TensorRT-LLM kv_cache_free_gpu_mem_fraction)"),
        Assumption(name="efficiency", value=f"eff_bw={cal.eff_bw:.2f}, eff_flops={cal.eff_flops:.2f}, eff_prefill={cal.eff_prefill:.2f}, "
                   + (f"ROCm factor={cal.rocm_factor:.2f}, " if _is_rocm(g) else "")
                   + f"step overhead {cal.step_overhead_s * 1e3:.2f} ms, all-reduce {cal.allreduce_s * 1e6:.1f} us/layer, batch cap {cal.max_batch}",
                   source=f"fitted on {cal.fit_rows} rows of pricing/hardware/measurements.toml (see docs/selfhost.md)"),
        Assumption(name="price", value=f"${price} per GPU-hour", source=price_source),
        Assumption(name="utilization", value=f"{u} of paid GPU time serving traffic", source="user input (the dominant unknown)"),
        Assumption(name="cost split", value="input tokens carry the prefill share of GPU time, output tokens the decode share",
                   source="tokencost model"),
    ]
    if lic is not None:
        assumptions.append(Assumption(name="licence", value=f"{lic.name}: ${lic.price_per_gpu_year} per GPU-year "
                                      f"(${_q(lic.price_per_gpu_year / HOURS_PER_YEAR)} per GPU-hour, included in the price above)",
                                      source=f"{lic.source} (checked {lic.checked})"))
    if override:
        assumptions.append(Assumption(name="throughput", value=f"measured {tps:g} output tokens/s replaces the model", source="user input"))

    return SelfHostEstimate(
        model=arch.id, gpu=g.id, gpus=dep.gpus, precision=prec, kv_precision=kv, fits=True,
        weights_gb_per_gpu=dep.weights_gb_per_gpu, kv_cache_gb_per_gpu=dep.kv_gb_per_gpu,
        kv_cache_tokens=dep.kv_capacity_tokens, max_concurrency=min(dep.max_concurrency(prompt, response), cal.max_batch),
        concurrency=c, prompt_tokens=prompt, response_tokens=response,
        prefill_tokens_per_s=(prompt / t_pre if prompt and t_pre > 0 else 0.0), output_tokens_per_s=tps,
        per_user_output_tokens_per_s=1.0 / t_step, time_to_first_token_s=t_pre, requests_per_s=tps / response,
        measured_override=override, cloud=used_cloud, price_per_gpu_hour=price, price_source=price_source, price_row=price_row,
        cost_per_hour=_q(hourly), utilization=u, cost_per_1k_input=per_1k_in, cost_per_1k_output=per_1k_out,
        cost_per_request=cost_req, sensitivity=sens, assumptions=assumptions,
    )


# --------------------------------------------------------------------------------------------
# Break-even
# --------------------------------------------------------------------------------------------


class HostedOption(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: str
    input_per_1m: Decimal
    output_per_1m: Decimal

    @model_validator(mode="after")
    def _non_negative(self) -> HostedOption:
        if self.input_per_1m < 0 or self.output_per_1m < 0:
            raise BadInputError(f"{self.label}: hosted prices must be >= 0")
        return self


class BreakevenRow(BaseModel):
    label: str
    cost_per_1m_blended: Decimal  # at the request shape
    breakeven_monthly_tokens: int | None  # None: self-hosting never cheaper
    always_cheaper_above_monthly_tokens: int | None
    monthly_cost_hosted: Decimal | None  # at monthly_tokens, if given
    note: str


class BreakevenResult(BaseModel):
    selfhost: SelfHostEstimate
    replica_monthly_cost: Decimal
    replica_monthly_capacity_tokens: int  # input + output tokens one replica serves at the utilization cap
    monthly_tokens: int | None
    replicas_needed: int | None
    monthly_cost_selfhost: Decimal | None
    options: list[BreakevenRow]

    def selfhost_monthly_cost(self, monthly_tokens: int) -> Decimal:
        k = max(1, math.ceil(monthly_tokens / self.replica_monthly_capacity_tokens))
        return _q(self.replica_monthly_cost * k)


def breakeven(
    model: str,
    gpu: str,
    hosted: list[HostedOption],
    gpus: int | None = None,
    precision: str = "bf16",
    prompt_tokens: int = 1500,
    response_tokens: int = 300,
    utilization=Decimal("1"),
    cloud: str | None = None,
    price_per_gpu_hour=None,
    monthly_tokens: int | None = None,
    kv_precision: str | None = None,
    measured_tokens_per_s=None,
    licence: str | None = None,
) -> BreakevenResult:
    """Monthly token volume above which self-hosting beats each hosted option.

    Self-hosting is paid per replica (``gpus`` x ``gpu``, 730 h a month) and each replica is loaded to at
    most ``utilization`` of its saturated throughput; the monthly cost is a step function of volume,
    the hosted cost a line.  Volumes count input + output tokens in the request shape's ratio.
    """
    if not hosted:
        raise BadInputError("give at least one hosted option to compare against")
    est = estimate(model, gpu, gpus=gpus, precision=precision, prompt_tokens=prompt_tokens, response_tokens=response_tokens,
                   concurrency=None, utilization=utilization, cloud=cloud, price_per_gpu_hour=price_per_gpu_hour,
                   kv_precision=kv_precision, measured_tokens_per_s=measured_tokens_per_s, licence=licence)
    if monthly_tokens is not None:
        _check_tokens(monthly_tokens, "monthly tokens", allow_zero=True)
    u = est.utilization
    replica_cost = _q(est.cost_per_hour * HOURS_PER_MONTH)
    tokens_per_request = est.prompt_tokens + est.response_tokens
    cap_tokens = int(Decimal(repr(est.requests_per_s)) * u * HOURS_PER_MONTH * 3600 * tokens_per_request)
    if cap_tokens <= 0:
        raise BadInputError("the self-hosted configuration serves no tokens at this utilization")
    share_in = Decimal(est.prompt_tokens) / Decimal(tokens_per_request)
    rows = []
    for h in hosted:
        blended = h.input_per_1m * share_in + h.output_per_1m * (1 - share_in)  # $ per 1M tokens
        hosted_cost = _q(blended * Decimal(monthly_tokens) / Decimal(1_000_000)) if monthly_tokens is not None else None
        if blended == 0:
            rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=blended, breakeven_monthly_tokens=None,
                                     always_cheaper_above_monthly_tokens=None, monthly_cost_hosted=hosted_cost,
                                     note="hosted option is free at this shape"))
            continue
        v1 = replica_cost * Decimal(1_000_000) / blended  # tokens at which one replica's cost equals hosted
        if v1 > cap_tokens:
            rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=_q(blended), breakeven_monthly_tokens=None,
                                     always_cheaper_above_monthly_tokens=None, monthly_cost_hosted=hosted_cost,
                                     note="never: even a fully loaded replica costs more per token than this option"))
            continue
        # cheaper on [k*v1, k*cap] for every k; the intervals merge once k*v1 <= (k-1)*cap
        k_merge = math.ceil(cap_tokens / (cap_tokens - float(v1))) if float(v1) < cap_tokens else None
        always = int(math.ceil(k_merge * float(v1))) if k_merge else None
        rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=_q(blended), breakeven_monthly_tokens=int(math.ceil(v1)),
                                 always_cheaper_above_monthly_tokens=always, monthly_cost_hosted=hosted_cost,
                                 note="self-hosted cost steps up by one replica every %s tokens" % f"{cap_tokens:,}"))
    replicas = max(1, math.ceil(monthly_tokens / cap_tokens)) if monthly_tokens is not None else None
    return BreakevenResult(
        selfhost=est, replica_monthly_cost=replica_cost, replica_monthly_capacity_tokens=cap_tokens,
        monthly_tokens=monthly_tokens, replicas_needed=replicas,
        monthly_cost_selfhost=_q(replica_cost * replicas) if replicas else None, options=rows,
    )


def plot_breakeven(result: BreakevenResult, hosted: list[HostedOption], path: str, max_tokens: int | None = None) -> None:
    """Monthly cost vs monthly tokens: self-hosted steps, hosted lines, break-even points marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cap = result.replica_monthly_capacity_tokens
    finite = [r.breakeven_monthly_tokens for r in result.options if r.breakeven_monthly_tokens]
    top = max_tokens or int(max([4 * cap] + [2 * v for v in finite]))
    xs = [top * i / 400 for i in range(401)]
    fig, ax = plt.subplots(figsize=(8, 5))
    ys = [float(result.selfhost_monthly_cost(int(x))) for x in xs]
    ax.step(xs, ys, where="post", label=f"self-hosted {result.selfhost.gpus}x {result.selfhost.gpu} ({result.selfhost.model})", linewidth=2)
    blended = {r.label: r for r in result.options}
    for h in hosted:
        r = blended[h.label]
        ax.plot(xs, [float(r.cost_per_1m_blended) * x / 1e6 for x in xs], label=h.label)
        if r.breakeven_monthly_tokens and r.breakeven_monthly_tokens <= top:
            x = r.breakeven_monthly_tokens
            ax.plot([x], [float(r.cost_per_1m_blended) * x / 1e6], "o", color="black")
            ax.annotate(f"{x / 1e9:.2f}B", (x, float(r.cost_per_1m_blended) * x / 1e6), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("tokens per month (input + output)")
    ax.set_ylabel("USD per month")
    ax.set_title(f"utilization cap {result.selfhost.utilization}, {result.selfhost.prompt_tokens}/{result.selfhost.response_tokens} tokens per request")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
