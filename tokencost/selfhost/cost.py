"""Money: GPU prices (sourced rows by tier, on-prem), cost per token at a utilization, the API-equivalent
price of a self-hosted deployment, and the break-even against hosted APIs.

Performance never needs a price: without a sourced or given price the estimate still has throughput
and latency, and its cost fields are ``None`` with a note saying why.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict, model_validator

from tokencost.errors import BadInputError

from .._fs import save_figure
from ..money import shown
from .hardware import (
    KV_BYTES,
    PRICE_TIERS,
    WEIGHT_BYTES,
    CloudPrice,
    Gpu,
    Hardware,
    ModelArch,
    load_hardware,
    normalize_name,
    resolve_gpu,
    resolve_licence,
    resolve_model,
)
from .roofline import (
    ALLOWED_GPU_COUNTS,
    KV_MEMORY_FRACTION,
    PREFILL_CHUNK_SOURCE,
    RUNTIME_RESERVE_GB,
    Calibration,
    Deployment,
    Load,
    default_calibration,
    is_rocm,
    load,
    prefill_chunk_tokens,
)

MONEY_QUANTUM = Decimal("1E-10")
HOURS_PER_MONTH = Decimal("730")  # 8,760 h / 12
HOURS_PER_YEAR = Decimal("8760")
SENSITIVITY_UTILIZATIONS = (Decimal("0.2"), Decimal("0.5"), Decimal("0.8"), Decimal("1"))


# --------------------------------------------------------------------------------------------
# Small helpers (public: plan and the CLI use them)
# --------------------------------------------------------------------------------------------


def quantize_money(x: Decimal) -> Decimal:
    """Money results are quantized to ``MONEY_QUANTUM`` (1e-10 USD, half-even); round further only for display."""
    return x.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


_q = quantize_money  # short local name


def seconds_decimal(x: float) -> Decimal:
    """Physics seconds (float) as ``Decimal`` with 10 significant digits, before any money is computed."""
    return Decimal(f"{x:.9e}")


def as_decimal(value, what: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise BadInputError(f"{what} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise BadInputError(f"{what} must be a finite number, got {value!r}")
    return d


def check_utilization(u) -> Decimal:
    d = as_decimal(u, "utilization")
    if not (Decimal(0) < d <= Decimal(1)):
        raise BadInputError(f"utilization must be in (0, 1], got {u}; e.g. 0.5 for a GPU busy half the time")
    return d


def check_tokens(value, what: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"{what} must be a whole number of tokens, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise BadInputError(f"{what} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def check_precision(precision: str) -> str:
    prec = normalize_name(precision)
    if prec not in WEIGHT_BYTES:
        raise BadInputError(f"unknown precision {precision!r}; use one of bf16, fp8, fp4")
    return prec


def default_kv_precision(precision: str, gpu: Gpu) -> str:
    """FP8 KV cache with FP8/FP4 weights on GPUs that have FP8 tensor cores, else BF16 (the engines' usual choice)."""
    return "fp8" if precision in ("fp8", "fp4") and gpu.fp8_tflops is not None else "bf16"


# --------------------------------------------------------------------------------------------
# GPU prices
# --------------------------------------------------------------------------------------------


class Assumption(BaseModel):
    name: str
    value: str
    source: str


class GpuPrice(BaseModel):
    """The $/GPU-hour an estimate uses, where it comes from, and the range across sourced providers."""

    price_per_gpu_hour: Decimal
    source: str  # a label naming the row (or "user-supplied" / "on-prem")
    tier: str  # on-demand | reserved | spot | community | user | on-prem
    row: CloudPrice | None = None
    range_low: Decimal | None = None  # cheapest and dearest sourced row of the tier for this GPU
    range_high: Decimal | None = None
    providers: int = 0


def _row_label(p: CloudPrice) -> str:
    sla = "" if p.sla else ", no SLA"
    return f"{p.cloud} {p.tier}{sla} {p.region} (effective {p.effective}, checked {p.checked}): {p.source}"


def gpu_price(gpu: str | Gpu, *, cloud: str | None = None, price_tier: str = "on-demand",
              as_of: dt.date | None = None, hw: Hardware | None = None) -> tuple[GpuPrice | None, str]:
    """The cheapest sourced row for ``gpu`` in ``price_tier`` (and ``cloud``), in force on ``as_of`` (default today).

    Returns ``(price, note)``; ``price`` is ``None`` when no row matches, and ``note`` says what exists
    instead.  ``price_tier="any"`` considers every tier, community hosts without an SLA included.
    """
    hw = hw or load_hardware()
    g = gpu if isinstance(gpu, Gpu) else resolve_gpu(gpu, hw)
    tier = normalize_name(price_tier)
    if tier not in PRICE_TIERS:
        raise BadInputError(f"unknown price tier {price_tier!r}; use one of {', '.join(PRICE_TIERS)}")
    day = as_of or dt.date.today()
    newest: dict[tuple, CloudPrice] = {}  # the row in force per (cloud, instance, tier, region): a price cut
    for p in hw.prices:                    # is a new row with a later ``effective`` date, the old one kept
        k = (p.cloud, p.instance, p.tier, p.region)
        if p.gpu == g.id and p.effective <= day and (k not in newest or p.effective > newest[k].effective):
            newest[k] = p
    rows = list(newest.values())
    in_tier = [p for p in rows if tier == "any" or p.tier == tier]
    chosen = [p for p in in_tier if cloud is None or p.cloud == cloud.lower()]
    if not chosen:
        where = f" at {cloud}" if cloud else ""
        others = sorted({f"{p.cloud} {p.tier} ${p.price_per_gpu_hour}" for p in rows if p not in chosen})
        hint = f"; sourced rows in other tiers or clouds: {', '.join(others)}" if others else ""
        return None, (f"no sourced {tier if tier != 'any' else ''} price for {g.id}{where} in "
                      f"pricing/hardware/clouds.toml{hint}; give your own GPU-hour price for costs").replace("  ", " ")
    best = min(chosen, key=lambda p: (p.price_per_gpu_hour, p.cloud))
    prices = [p.price_per_gpu_hour for p in in_tier]
    price = GpuPrice(price_per_gpu_hour=best.price_per_gpu_hour, source=_row_label(best), tier=best.tier, row=best,
                     range_low=min(prices), range_high=max(prices), providers=len({p.cloud for p in in_tier}))
    note = f"cheapest {tier} row of {len(in_tier)} ({price.providers} provider(s)), ${price.range_low}-${price.range_high} per GPU-hour"
    return price, note


class OnPremInput(BaseModel):
    name: str
    value: Decimal
    unit: str
    source: str  # "user input", or where the default comes from
    default: bool


class OnPremPrice(BaseModel):
    """All-in $/GPU-hour of an owned server and every input behind it (given or a labelled default)."""

    price_per_gpu_hour: Decimal
    inputs: list[OnPremInput]


#: On-prem inputs: (name, what, unit). Those without a sourced default in onprem.toml must be given,
#: except the ones below with a labelled default.
ON_PREM_INPUTS = (
    ("server_price", "server price", "USD"),
    ("amortization_years", "amortization years", "years"),
    ("server_power_kw", "server power", "kW"),
    ("pue", "PUE", "ratio"),
    ("price_per_kwh", "electricity price", "USD/kWh"),
    ("cost_of_capital", "cost of capital", "per year"),
    ("colocation_per_kw_month", "colocation", "USD per kW-month"),
    ("network_per_server_year", "network", "USD per server-year"),
    ("support_per_server_year", "hardware support", "USD per server-year"),
    ("staff_per_server_year", "operations staff", "USD per server-year"),
)
_ZERO_UNLESS_GIVEN = ("cost_of_capital", "colocation_per_kw_month", "network_per_server_year",
                      "support_per_server_year", "staff_per_server_year")


def on_prem_price(gpu: str | Gpu, *, gpus_per_server: int = 8, hw: Hardware | None = None, **inputs) -> OnPremPrice:
    """$/GPU-hour of an owned server from the inputs in ``ON_PREM_INPUTS`` (keyword arguments; ``None`` = default).

    Defaults: ``onprem.toml``'s sourced values; the server's power draw is the GPUs' TDP x GPUs per
    server (GPUs only: CPUs, memory and fans draw more); cost of capital, colocation, network, support
    and staff are 0 unless given (labelled as such).  The server price is paid as an annuity over the
    amortization years at the cost of capital (straight-line when it is 0).
    """
    hw = hw or load_hardware()
    g = gpu if isinstance(gpu, Gpu) else resolve_gpu(gpu, hw)
    unknown = set(inputs) - {n for n, _, _ in ON_PREM_INPUTS}
    if unknown:
        raise BadInputError(f"unknown on-prem input(s) {', '.join(sorted(unknown))}; known: "
                            + ", ".join(n for n, _, _ in ON_PREM_INPUTS))
    if isinstance(gpus_per_server, bool) or not isinstance(gpus_per_server, int) or gpus_per_server <= 0:
        raise BadInputError(f"GPUs per server must be a positive whole number, got {gpus_per_server!r}")
    vals: dict[str, Decimal] = {}
    used: list[OnPremInput] = []
    missing = []
    for name, what, unit in ON_PREM_INPUTS:
        given = inputs.get(name)
        if given is not None:
            vals[name] = as_decimal(given, what)
            used.append(OnPremInput(name=name, value=vals[name], unit=unit, source="user input", default=False))
        elif name in hw.onprem:
            d = hw.onprem[name]
            vals[name] = d.value
            used.append(OnPremInput(name=name, value=d.value, unit=unit, source=f"{d.source} (checked {d.checked})", default=True))
        elif name == "server_power_kw":
            vals[name] = g.tdp_w * gpus_per_server / Decimal(1000)
            used.append(OnPremInput(name=name, value=vals[name], unit=unit, default=True,
                                    source=f"{gpus_per_server} x {g.id} TDP {g.tdp_w} W (GPUs only; CPUs, memory "
                                    f"and fans draw more), {g.source}"))
        elif name in _ZERO_UNLESS_GIVEN:
            vals[name] = Decimal(0)
            used.append(OnPremInput(name=name, value=Decimal(0), unit=unit, source="not included unless given", default=True))
        else:
            missing.append(what)
    if missing:
        raise BadInputError("on-prem pricing needs " + ", ".join(missing)
                            + " (no sourced defaults ship for these; see docs/selfhost.md)")
    for name, what, _ in ON_PREM_INPUTS:
        if vals[name] < 0:
            raise BadInputError(f"{what} must be >= 0, got {vals[name]}")
    if vals["amortization_years"] == 0:
        raise BadInputError("amortization years must be > 0")
    if vals["pue"] < 1:
        raise BadInputError(f"PUE must be >= 1, got {vals['pue']}")
    years, r = vals["amortization_years"], vals["cost_of_capital"]
    if r == 0:
        per_year_capital = vals["server_price"] / years
    else:  # annuity payment; whole years only for the exponent's sake
        n = int(years.to_integral_value()) or 1
        per_year_capital = vals["server_price"] * r / (1 - (1 + r) ** -n)
    per_server_year = (per_year_capital + vals["network_per_server_year"] + vals["support_per_server_year"]
                       + vals["staff_per_server_year"] + vals["colocation_per_kw_month"] * vals["server_power_kw"] * 12)
    per_server_hour = per_server_year / HOURS_PER_YEAR + vals["server_power_kw"] * vals["pue"] * vals["price_per_kwh"]
    return OnPremPrice(price_per_gpu_hour=_q(per_server_hour / Decimal(gpus_per_server)), inputs=used)


def on_prem_price_per_gpu_hour(
    server_price, gpus_per_server: int, amortization_years, server_power_kw, pue, price_per_kwh,
    licence_per_gpu_year=Decimal(0),
) -> Decimal:
    """All-in $/GPU-hour of an owned server: amortized purchase + energy x PUE + licence.  All inputs user-supplied."""
    vals = {
        "server price": as_decimal(server_price, "server price"),
        "amortization years": as_decimal(amortization_years, "amortization years"),
        "server power (kW)": as_decimal(server_power_kw, "server power (kW)"),
        "PUE": as_decimal(pue, "PUE"),
        "price per kWh": as_decimal(price_per_kwh, "price per kWh"),
        "licence per GPU-year": as_decimal(licence_per_gpu_year, "licence per GPU-year"),
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


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------


class SensitivityRow(BaseModel):
    utilization: Decimal
    cost_per_1k_input: Decimal
    cost_per_1k_output: Decimal
    cost_per_request: Decimal


class SelfHostEstimate(BaseModel):
    """Throughput, latency and (when a price is known) cost of one replica.  Cost fields are ``None``
    when there is no price; ``price_note`` then says why."""

    model: str
    gpu: str
    gpus: int
    precision: str
    kv_precision: str
    fits: bool
    weights_gb_per_gpu: float
    kv_cache_gb_per_gpu: float
    kv_cache_tokens: int
    max_concurrency: int  # sequences that run at once (KV cache and engine cap)
    concurrency: int  # users in flight
    running: int  # of which in the batch
    queued: int  # of which waiting for a slot
    prompt_tokens: int
    response_tokens: int
    prefill_tokens_per_s: float
    output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    per_user_output_tokens_per_s: float
    ttft_s: float
    itl_s: float
    queue_wait_s: float
    time_to_first_token_s: float  # deprecated alias of ttft_s
    requests_per_s: float
    measured_override: bool
    cloud: str | None
    price_per_gpu_hour: Decimal | None
    price_source: str
    price_tier: str | None
    price_range_low: Decimal | None = None
    price_range_high: Decimal | None = None
    price_row: CloudPrice | None = None
    price_note: str = ""
    cost_per_hour: Decimal | None
    utilization: Decimal
    cost_per_1k_input: Decimal | None
    cost_per_1k_output: Decimal | None
    cost_per_request: Decimal | None
    sensitivity: list[SensitivityRow]
    assumptions: list[Assumption]


def _costs(hourly: Decimal, t_pre: float, t_step: float, concurrency: int, prompt: int, response: int, u: Decimal):
    """Cost per request and its split between input (prefill time) and output (decode time)."""
    per_req_pre = seconds_decimal(t_pre)
    per_req_dec = seconds_decimal(response * t_step / concurrency)
    per_second = hourly / Decimal(3600)
    cost_pre = per_second * per_req_pre / u
    cost_dec = per_second * per_req_dec / u
    per_1k_in = cost_pre / Decimal(prompt) * 1000 if prompt else Decimal(0)
    per_1k_out = cost_dec / Decimal(response) * 1000
    return _q(cost_pre + cost_dec), _q(per_1k_in), _q(per_1k_out)


def smallest_fit(model: ModelArch, gpu: Gpu, precision: str, kv_precision: str | None, prompt: int, response: int,
                 hw: Hardware) -> str:
    """A suggestion naming the smallest configuration that holds one sequence."""
    options = []
    precisions = [precision] + [p for p in ("fp8", "fp4") if p != precision and WEIGHT_BYTES[p] < WEIGHT_BYTES[precision]]
    for g in [gpu] + sorted((x for x in hw.gpus.values() if x.id != gpu.id), key=lambda x: -float(x.memory_gb)):
        for p in precisions:
            if p != "bf16" and not g.has_native(p):
                continue
            for n in ALLOWED_GPU_COUNTS:
                dep = Deployment(model=model, gpu=g, gpus=n, precision=p, kv_precision=kv_precision or default_kv_precision(p, g))
                if dep.max_concurrency(prompt, response) >= 1:
                    options.append((n * float(g.memory_gb), f"{n} x {g.id} at {p}"))
                    break
    if not options:
        return "no configuration of up to 8 GPUs in pricing/hardware/gpus.toml holds it"
    options.sort()
    same_gpu = [o for _, o in options if o.split(" x ")[1].startswith(gpu.id + " ")]
    picks = ([same_gpu[0]] if same_gpu else []) + [o for _, o in options[:2] if not same_gpu or o != same_gpu[0]]
    return "smallest that fits: " + "; or ".join(picks[:2])


def best_deployment(arch: ModelArch, g: Gpu, prec: str, kv: str, prompt: int, response: int, gpus: int | None,
                    concurrency: int | None, cal: Calibration, hw: Hardware, kv_given: str | None = None) -> Deployment:
    """``gpus`` x ``g``, or (``gpus=None``) the tensor-parallel size with the most output tokens/s per GPU
    at ``concurrency`` (or at the largest batch): the cheapest per token at any one $/GPU-hour."""
    counts = [gpus] if gpus is not None else list(ALLOWED_GPU_COUNTS)
    best: tuple[float, Deployment] | None = None
    for n in counts:
        cand = Deployment(model=arch, gpu=g, gpus=n, precision=prec, kv_precision=kv)
        limit = cand.batch_limit(prompt, response, cal)
        if limit < 1:
            continue
        per_gpu = load(cand, prompt, response, concurrency or limit, cal).output_tokens_per_s / n
        if best is None or per_gpu > best[0] * 1.000001:
            best = (per_gpu, cand)
    if best is None:
        n = counts[-1]
        need = arch.params_total * WEIGHT_BYTES[prec] / 1e9
        raise BadInputError(
            f"{arch.id} at {prec} ({need:,.0f} GB of weights plus KV cache for a {prompt + response}-token sequence) "
            f"does not fit on {n} x {g.id} ({float(g.memory_gb):g} GB each); "
            + smallest_fit(arch, g, prec, kv_given, prompt, response, hw)
        )
    return best[1]


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
    licence_per_gpu_year=None,
    price_tier: str = "on-demand",
    on_prem: OnPremPrice | None = None,
) -> SelfHostEstimate:
    """Throughput, latency and cost of serving ``model`` on ``gpus`` x ``gpu``.

    ``gpus=None`` picks the tensor-parallel size (1, 2, 4, 8) with the most output tokens/s per GPU;
    ``concurrency`` is the users in flight (default: the largest batch the KV cache and engine hold;
    more than that queue, and the wait is in ``ttft_s``).  ``utilization`` is the share of paid GPU
    time spent serving at the modelled throughput.  The price is ``price_per_gpu_hour``, ``on_prem``
    (see :func:`on_prem_price`), or the cheapest sourced ``price_tier`` row of ``clouds.toml`` for this
    GPU (and ``cloud``); with none of these the cost fields are ``None``.  ``licence`` (e.g.
    ``"nvidia-ai-enterprise"``) or ``licence_per_gpu_year`` (not both) adds a per-GPU licence.
    ``measured_tokens_per_s`` replaces the model's output throughput (all timings scaled to match).
    """
    hw = load_hardware()
    arch = resolve_model(model, hw)
    g = resolve_gpu(gpu, hw)
    prec = check_precision(precision)
    kv = normalize_name(kv_precision) if kv_precision else default_kv_precision(prec, g)
    if kv not in KV_BYTES:
        raise BadInputError(f"unknown KV-cache precision {kv_precision!r}; use bf16 or fp8")
    prompt = check_tokens(prompt_tokens, "prompt tokens", allow_zero=True)
    response = check_tokens(response_tokens, "response tokens")
    u = check_utilization(utilization)
    if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency <= 0):
        raise BadInputError(f"concurrency must be a positive whole number, got {concurrency!r}")
    if gpus is not None and gpus not in ALLOWED_GPU_COUNTS:
        raise BadInputError(f"gpus must be one of {', '.join(map(str, ALLOWED_GPU_COUNTS))} (tensor parallel within one server), got {gpus}")
    if licence is not None and licence_per_gpu_year is not None:
        raise BadInputError(f"give a named licence ({licence!r}) or a licence price per GPU-year, not both: "
                            "the licence would be charged twice")
    cal = calibration or default_calibration()
    dep = best_deployment(arch, g, prec, kv, prompt, response, gpus, concurrency, cal, hw, kv_precision and kv)

    # price (optional)
    price: Decimal | None
    price_row = None
    price_note = ""
    range_low = range_high = None
    used_cloud = cloud
    tier: str | None
    if price_per_gpu_hour is not None:
        price = as_decimal(price_per_gpu_hour, "price per GPU-hour")
        if price < 0:
            raise BadInputError(f"price per GPU-hour must be >= 0, got {price_per_gpu_hour}")
        price_source, tier = "user-supplied", "user"
    elif on_prem is not None:
        price, price_source, tier, used_cloud = on_prem.price_per_gpu_hour, "on-prem (inputs listed below)", "on-prem", "on-prem"
    else:
        found, price_note = gpu_price(g, cloud=cloud, price_tier=price_tier, hw=hw)
        if found is None:
            price, price_source, tier = None, "none", None
        else:
            price, price_source, tier, price_row = found.price_per_gpu_hour, found.source, found.tier, found.row
            range_low, range_high, used_cloud = found.range_low, found.range_high, found.row.cloud if found.row else cloud
    lic_year: Decimal | None = None
    lic_label = ""
    if licence is not None:
        lic = resolve_licence(licence, hw)
        lic_year, lic_label = lic.price_per_gpu_year, f"{lic.name} [{lic.source} (checked {lic.checked})]"
    elif licence_per_gpu_year is not None:
        lic_year = as_decimal(licence_per_gpu_year, "licence per GPU-year")
        if lic_year < 0:
            raise BadInputError(f"licence per GPU-year must be >= 0, got {licence_per_gpu_year}")
        lic_label = "licence [user input]"
    if price is not None and lic_year is not None:
        price = _q(price + lic_year / HOURS_PER_YEAR)

    c = concurrency or dep.batch_limit(prompt, response, cal)
    ld: Load = load(dep, prompt, response, c, cal)
    t_pre, t_step, tps = ld.prefill_s, ld.step_s, ld.output_tokens_per_s
    itl, ttft, queue_wait = ld.itl_s, ld.ttft_s, ld.queue_wait_s
    override = measured_tokens_per_s is not None
    if override:
        m = float(as_decimal(measured_tokens_per_s, "measured tokens/s"))
        if m <= 0:
            raise BadInputError(f"measured tokens/s must be > 0, got {measured_tokens_per_s}")
        scale = tps / m
        t_pre, t_step, tps = t_pre * scale, t_step * scale, m
        itl, ttft, queue_wait = itl * scale, ttft * scale, queue_wait * scale

    hourly = price * Decimal(dep.gpus) if price is not None else None
    sens = []
    cost_req = per_1k_in = per_1k_out = None
    if hourly is not None:
        cost_req, per_1k_in, per_1k_out = _costs(hourly, t_pre, t_step, ld.running, prompt, response, u)
        for su in SENSITIVITY_UTILIZATIONS:
            r, i, o = _costs(hourly, t_pre, t_step, ld.running, prompt, response, su)
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
                   + (f"ROCm compute factor={cal.rocm_compute_factor:.2f}, "
                      f"ROCm overhead factor={cal.rocm_overhead_factor:.2f}, " if is_rocm(g) else "")
                   + (f"MoE: {arch.num_experts} experts top-{arch.experts_per_token}, "
                      f"grouped-GEMM efficiency {cal.moe_gemm_eff:.2f}, "
                      f"expert workspace {cal.moe_reserve_gb:g} GB/GPU, batch cap {cal.moe_max_batch or cal.max_batch}, " if arch.is_moe else "")
                   + f"step overhead {cal.step_overhead_s * 1e3:.2f} ms per 80 layers, all-reduce {cal.allreduce_s * 1e6:.2f} us + "
                   f"activations over {g.interconnect} ({float(g.interconnect_gbps):g} GB/s), batch cap {cal.max_batch}",
                   source=f"fitted on {cal.fit_rows} rows of pricing/hardware/measurements.toml (see docs/selfhost.md)"),
        Assumption(name="latency", value=f"continuous batching with {prefill_chunk_tokens(g)}-token prefill chunks (vLLM's "
                   "default on this GPU); users beyond the batch queue; ITL includes other requests' prefills",
                   source=f"tokencost model (docs/selfhost.md); chunk: {PREFILL_CHUNK_SOURCE}"),
    ]
    if price is None:
        assumptions.append(Assumption(name="price", value="none: throughput and latency only", source=price_note))
    else:
        rng = (f" (sourced {price_tier} range ${range_low}-${range_high})" if range_low is not None and range_low != range_high else "")
        assumptions.append(Assumption(name="price", value=f"${price} per GPU-hour{rng}", source=price_source))
        assumptions.append(Assumption(name="utilization", value=f"{u} of paid GPU time serving at the modelled throughput",
                                      source="user input (the dominant unknown; `plan` derives it from demand)"))
        assumptions.append(Assumption(name="cost split", value="input tokens carry the prefill share of GPU time, output tokens the decode share",
                                      source="tokencost model"))
    if on_prem is not None and price_per_gpu_hour is None:
        assumptions.extend(Assumption(name=f"on-prem {a.name}", value=f"{a.value} {a.unit}",
                                      source=("default: " if a.default else "") + a.source) for a in on_prem.inputs)
    if lic_year is not None:
        assumptions.append(Assumption(name="licence", value=f"${lic_year} per GPU-year (${_q(lic_year / HOURS_PER_YEAR)} per GPU-hour"
                                      + (", included in the price above)" if price is not None else ")"), source=lic_label))
    if override:
        assumptions.append(Assumption(name="throughput", value=f"measured {tps:g} output tokens/s replaces the model", source="user input"))

    return SelfHostEstimate(
        model=arch.id, gpu=g.id, gpus=dep.gpus, precision=prec, kv_precision=kv, fits=True,
        weights_gb_per_gpu=dep.weights_gb_per_gpu, kv_cache_gb_per_gpu=dep.kv_gb_per_gpu,
        kv_cache_tokens=dep.kv_capacity_tokens, max_concurrency=dep.batch_limit(prompt, response, cal),
        concurrency=c, running=ld.running, queued=ld.queued, prompt_tokens=prompt, response_tokens=response,
        prefill_tokens_per_s=(prompt / t_pre if prompt and t_pre > 0 else 0.0), output_tokens_per_s=tps,
        output_tokens_per_s_per_gpu=tps / dep.gpus, per_user_output_tokens_per_s=1.0 / itl,
        ttft_s=ttft, itl_s=itl, queue_wait_s=queue_wait, time_to_first_token_s=ttft, requests_per_s=tps / response,
        measured_override=override, cloud=used_cloud, price_per_gpu_hour=price, price_source=price_source,
        price_tier=tier, price_range_low=range_low, price_range_high=range_high, price_row=price_row, price_note=price_note,
        cost_per_hour=_q(hourly) if hourly is not None else None, utilization=u, cost_per_1k_input=per_1k_in,
        cost_per_1k_output=per_1k_out, cost_per_request=cost_req, sensitivity=sens, assumptions=assumptions,
    )


# --------------------------------------------------------------------------------------------
# A self-hosted deployment priced like an API (what the estimator shows beside hosted models)
# --------------------------------------------------------------------------------------------


class ApiEquivalent(BaseModel):
    """Per-1M-token USD rates of a self-hosted deployment at a utilization, with what they rest on."""

    model_config = ConfigDict(frozen=True)
    model: str  # "self-hosted:<model id>"
    name: str
    label: str
    tokenizer: str
    currency: str = "USD"
    input_per_1m: Decimal
    output_per_1m: Decimal
    price_source: str  # URL of the GPU price row, or "user-supplied"
    price_effective: dt.date | None
    price_checked: dt.date | None
    notes: list[str]
    estimate: SelfHostEstimate


def api_equivalent(model: str, gpu: str, precision: str, utilization, prompt_tokens: int, response_tokens: int, *,
                   gpus: int | None = None, concurrency: int | None = None, cloud: str | None = None,
                   price_tier: str = "on-demand", price_per_gpu_hour=None, licence: str | None = None) -> ApiEquivalent:
    """Everything the estimator needs for a self-hosted row: per-1M input/output rates (``Decimal`` USD),
    the model's tokenizer, a label, the GPU price's source and dates, and notes.  Raises
    ``BadInputError`` when the GPU has no sourced price in ``price_tier`` and none is given."""
    est = estimate(model, gpu, gpus=gpus, precision=precision, prompt_tokens=prompt_tokens, response_tokens=response_tokens,
                   concurrency=concurrency, utilization=utilization, cloud=cloud, price_per_gpu_hour=price_per_gpu_hour,
                   licence=licence, price_tier=price_tier)
    if est.cost_per_1k_input is None or est.cost_per_1k_output is None or est.price_per_gpu_hour is None:
        raise BadInputError(est.price_note or f"no price for {est.gpu}")
    row = est.price_row
    lic = " + NIM licence" if licence else ""
    label = f"{est.gpus}x{est.gpu} {est.precision}{lic}, est."
    notes = [f"self-hosted estimate, not a price list: {est.output_tokens_per_s:,.0f} output tokens/s predicted at "
             f"concurrency {est.concurrency} (TTFT {est.ttft_s:.2f} s, ITL {est.itl_s * 1e3:.0f} ms), GPUs paid "
             f"${shown(est.price_per_gpu_hour, 4)}/GPU-hour{' incl. licence' if licence else ''} ({est.price_tier}), busy "
             f"{est.utilization:.0%} of the time; `tokencost selfhost` shows every assumption"]
    return ApiEquivalent(
        model=f"self-hosted:{est.model} ({label})",
        name=f"{est.model} on {est.gpus} x {est.gpu} ({est.precision}{lic}), estimate",
        label=label, tokenizer=resolve_model(est.model).tokenizer,
        input_per_1m=_q(est.cost_per_1k_input * 1000), output_per_1m=_q(est.cost_per_1k_output * 1000),
        price_source=row.source if row else est.price_source,
        price_effective=row.effective if row else None, price_checked=row.checked if row else None,
        notes=notes, estimate=est,
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
    replicas_at_breakeven: int | None
    always_cheaper_above_monthly_tokens: int | None
    monthly_cost_hosted: Decimal | None  # at monthly_tokens, if given
    note: str


class BreakevenResult(BaseModel):
    selfhost: SelfHostEstimate
    utilization_basis: str  # how utilization is set: derived from the volume, or the caller's cap
    replica_monthly_cost: Decimal
    replica_monthly_capacity_tokens: int  # input + output tokens one replica serves at the utilization cap
    monthly_tokens: int | None
    replicas_needed: int | None
    utilization_at_monthly_tokens: Decimal | None  # share of the fleet's capacity that volume uses
    monthly_cost_selfhost: Decimal | None
    options: list[BreakevenRow]

    def replicas_for(self, monthly_tokens: int) -> int:
        """Replicas a fleet that follows the volume needs (at least one)."""
        return max(1, math.ceil(monthly_tokens / self.replica_monthly_capacity_tokens))

    def selfhost_monthly_cost(self, monthly_tokens: int) -> Decimal:
        return _q(self.replica_monthly_cost * self.replicas_for(monthly_tokens))


def breakeven(
    model: str,
    gpu: str,
    hosted: list[HostedOption],
    gpus: int | None = None,
    precision: str = "bf16",
    prompt_tokens: int = 1500,
    response_tokens: int = 300,
    utilization=None,
    cloud: str | None = None,
    price_per_gpu_hour=None,
    monthly_tokens: int | None = None,
    kv_precision: str | None = None,
    measured_tokens_per_s=None,
    licence: str | None = None,
    licence_per_gpu_year=None,
    price_tier: str = "on-demand",
    on_prem: OnPremPrice | None = None,
) -> BreakevenResult:
    """Monthly token volume above which self-hosting beats each hosted option.

    Self-hosting is paid per replica (``gpus`` x ``gpu``, 730 h a month); the fleet follows the volume
    (``ceil(volume / replica capacity)`` replicas), so the monthly cost is a step function of volume and
    the hosted cost a line.  A replica's capacity is its saturated throughput; the utilization each
    volume reaches is an output (volume / fleet capacity).  ``utilization`` (0, 1] instead caps each
    replica at that share of its throughput (e.g. to leave headroom for peaks).  Volumes count input +
    output tokens in the request shape's ratio.
    """
    if not hosted:
        raise BadInputError("give at least one hosted option to compare against")
    cap_u = check_utilization(utilization) if utilization is not None else Decimal(1)
    basis = (f"each replica loaded to at most {cap_u} of its saturated throughput (caller's cap)" if utilization is not None
             else "derived from the volume: replicas = ceil(volume / saturated replica capacity); "
                  "utilization = volume / fleet capacity")
    est = estimate(model, gpu, gpus=gpus, precision=precision, prompt_tokens=prompt_tokens, response_tokens=response_tokens,
                   concurrency=None, utilization=cap_u, cloud=cloud, price_per_gpu_hour=price_per_gpu_hour,
                   kv_precision=kv_precision, measured_tokens_per_s=measured_tokens_per_s, licence=licence,
                   licence_per_gpu_year=licence_per_gpu_year, price_tier=price_tier, on_prem=on_prem)
    if est.cost_per_hour is None:
        raise BadInputError(f"a break-even needs a GPU price: {est.price_note}")
    if monthly_tokens is not None:
        check_tokens(monthly_tokens, "monthly tokens", allow_zero=True)
    replica_cost = _q(est.cost_per_hour * HOURS_PER_MONTH)
    tokens_per_request = est.prompt_tokens + est.response_tokens
    cap_tokens = int(Decimal(repr(est.requests_per_s)) * cap_u * HOURS_PER_MONTH * 3600 * tokens_per_request)
    if cap_tokens <= 0:
        raise BadInputError("the self-hosted configuration serves no tokens at this utilization")
    share_in = Decimal(est.prompt_tokens) / Decimal(tokens_per_request)
    rows = []
    for h in hosted:
        blended = h.input_per_1m * share_in + h.output_per_1m * (1 - share_in)  # $ per 1M tokens
        hosted_cost = _q(blended * Decimal(monthly_tokens) / Decimal(1_000_000)) if monthly_tokens is not None else None
        if blended == 0:
            rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=blended, breakeven_monthly_tokens=None,
                                     replicas_at_breakeven=None, always_cheaper_above_monthly_tokens=None,
                                     monthly_cost_hosted=hosted_cost, note="hosted option is free at this shape"))
            continue
        v1 = replica_cost * Decimal(1_000_000) / blended  # tokens at which one replica's cost equals hosted
        if v1 > cap_tokens:
            rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=_q(blended), breakeven_monthly_tokens=None,
                                     replicas_at_breakeven=None, always_cheaper_above_monthly_tokens=None,
                                     monthly_cost_hosted=hosted_cost,
                                     note="never: even a fully loaded replica costs more per token than this option"))
            continue
        # cheaper on [k*v1, k*cap] for every k; the intervals merge once k*v1 <= (k-1)*cap
        k_merge = math.ceil(cap_tokens / (cap_tokens - float(v1))) if float(v1) < cap_tokens else None
        always = int(math.ceil(k_merge * float(v1))) if k_merge else None
        rows.append(BreakevenRow(label=h.label, cost_per_1m_blended=_q(blended), breakeven_monthly_tokens=int(math.ceil(v1)),
                                 replicas_at_breakeven=1, always_cheaper_above_monthly_tokens=always,
                                 monthly_cost_hosted=hosted_cost,
                                 note="self-hosted cost steps up by one replica every %s tokens" % f"{cap_tokens:,}"))
    replicas = max(1, math.ceil(monthly_tokens / cap_tokens)) if monthly_tokens is not None else None
    util = (_q(Decimal(monthly_tokens) / (Decimal(cap_tokens) / cap_u * replicas)).quantize(Decimal("0.0001"))
            if replicas and monthly_tokens is not None else None)
    return BreakevenResult(
        selfhost=est, utilization_basis=basis, replica_monthly_cost=replica_cost, replica_monthly_capacity_tokens=cap_tokens,
        monthly_tokens=monthly_tokens, replicas_needed=replicas, utilization_at_monthly_tokens=util,
        monthly_cost_selfhost=_q(replica_cost * replicas) if replicas else None, options=rows,
    )


def human_tokens(x: float) -> str:
    """1.5e9 -> '1.5B' (axis ticks and labels)."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def human_usd(x: float) -> str:
    """12500 -> '$12.5k'."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"${x / div:.3g}{suffix}"
    return f"${x:.3g}"


def plot_breakeven(result: BreakevenResult, hosted: list[HostedOption], path: str, max_tokens: int | None = None,
                   log: bool = False) -> None:
    """Monthly cost vs monthly tokens: self-hosted steps, hosted lines, break-even points labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    e = result.selfhost
    cap = result.replica_monthly_capacity_tokens
    finite = [r.breakeven_monthly_tokens for r in result.options if r.breakeven_monthly_tokens]
    top = max_tokens or int(max([4 * cap] + [2 * v for v in finite]))
    lo = max(1.0, top / 1e4) if log else 0.0
    xs = ([lo * (top / lo) ** (i / 400) for i in range(401)] if log else [top * i / 400 for i in range(401)])
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ys = [float(result.selfhost_monthly_cost(int(x))) for x in xs]
    ax.step(xs, ys, where="post", label=f"self-hosted: {e.model} on {e.gpus}x {e.gpu} ({e.precision}), "
            f"one more replica every {human_tokens(cap)} tokens", linewidth=2.2, color="black")
    rows = {r.label: r for r in result.options}
    points = []
    for h in hosted:
        r = rows[h.label]
        (line,) = ax.plot(xs, [float(r.cost_per_1m_blended) * x / 1e6 for x in xs], label=f"{h.label} (${r.cost_per_1m_blended:.2f}/1M blended)")
        if r.breakeven_monthly_tokens and r.breakeven_monthly_tokens <= top:
            x = r.breakeven_monthly_tokens
            y = float(r.cost_per_1m_blended) * x / 1e6
            ax.plot([x], [y], "o", color=line.get_color(), markeredgecolor="black", zorder=5)
            points.append((x, y, f"{h.label}: break-even at {human_tokens(x)} tokens/month", line.get_color()))
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    # labels stacked in a column (never overlapping), each joined to its point by a thin line
    for i, (x, y, text, color) in enumerate(sorted(points)):
        top_y = 0.28 if log else 0.60  # an empty corner: below the lines on log axes, above them on linear ones
        ax.annotate(text, (x, y), xytext=(0.60, top_y - 0.08 * i), textcoords="axes fraction", fontsize=8, color=color,
                    arrowprops={"arrowstyle": "-", "color": color, "lw": 0.7},
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": color, "lw": 0.6})
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: human_tokens(v)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: human_usd(v)))
    ax.set_xlabel("tokens per month (input + output)")
    ax.set_ylabel("cost per month (USD)")
    price = f"${e.price_per_gpu_hour}/GPU-hour ({e.price_tier})"
    ax.set_title(f"Self-hosting {e.model} vs hosted APIs: monthly cost by volume\n"
                 f"{e.prompt_tokens:,} in / {e.response_tokens:,} out tokens per request, {price}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


#: The self-hosted deployments shown beside the hosted APIs by default: Llama 3.3 70B, FP8, on H100s
#: (the tensor-parallel size with the most tokens/s per GPU), busy half the paid time, at the cheapest
#: sourced on-demand price; once with an open-source engine, once as NVIDIA NIM (licence included).
DEFAULT_DEPLOYMENTS = (
    {"model": "llama-3.3-70b", "gpu": "h100-sxm", "precision": "fp8", "utilization": Decimal("0.5")},
    {"model": "llama-3.3-70b", "gpu": "h100-sxm", "precision": "fp8", "utilization": Decimal("0.5"),
     "licence": "nvidia-ai-enterprise"},
)


def default_rows(prompt_tokens: int, response_tokens: int) -> list[ApiEquivalent]:
    """:func:`api_equivalent` for each of :data:`DEFAULT_DEPLOYMENTS` at this request shape (the
    open-source-engine row and the NIM row, so the licence's cost is visible)."""
    return [api_equivalent(d["model"], d["gpu"], d["precision"], d["utilization"], prompt_tokens, response_tokens,
                           licence=d.get("licence")) for d in DEFAULT_DEPLOYMENTS]
