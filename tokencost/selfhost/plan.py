"""The cheapest self-hosted deployment that meets latency targets at a demand.

:func:`plan` searches GPU type x precision x tensor-parallel size x concurrency per replica, sizes the
replicas for the peak hour of the demand (or for every hour, with ``autoscale``), prices each with the
sourced GPU price of a tier, and keeps the cheapest.  Utilization is an output: mean demand over the
fleet's capacity.  The frontier (output tokens/s per GPU against tokens/s per user, as InferenceMAX
plots it) and the hosted APIs' cost for the same demand come with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tokencost.errors import BadInputError

from .._fs import save_figure
from .cost import (
    HOURS_PER_MONTH,
    GpuPrice,
    as_decimal,
    check_tokens,
    default_kv_precision,
    gpu_price,
    human_tokens,
    human_usd,
    quantize_money,
)
from .hardware import PRICE_TIERS, WEIGHT_BYTES, Gpu, load_hardware, normalize_name, resolve_gpu, resolve_model
from .roofline import ALLOWED_GPU_COUNTS, Calibration, Deployment, Load, default_calibration, load

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
#: Precisions searched unless the caller names some: FP4 changes output quality more than FP8 does,
#: so it is a choice the caller makes, not one the plan makes silently.
DEFAULT_PRECISIONS = ("bf16", "fp8")
#: Replicas are sized so the peak loads each to at most this share of its throughput at the chosen
#: concurrency: arrivals come in bursts, and a replica run at 100% of its closed-loop capacity queues
#: without bound.  An assumption, settable (1 sizes to the capacity exactly).
DEFAULT_MAX_LOAD = Decimal("0.85")


# --------------------------------------------------------------------------------------------
# Demand
# --------------------------------------------------------------------------------------------


class Demand(BaseModel):
    """Requests per second, constant or by hour (24 for a day, 168 for a week, or any hourly series)."""

    model_config = ConfigDict(frozen=True)
    requests_per_s_by_hour: list[float]
    prompt_tokens: float | None = None  # request-weighted means, when the traffic file has them
    response_tokens: float | None = None
    source: str = "constant rate"

    @property
    def peak_requests_per_s(self) -> float:
        return max(self.requests_per_s_by_hour)

    @property
    def mean_requests_per_s(self) -> float:
        return sum(self.requests_per_s_by_hour) / len(self.requests_per_s_by_hour)

    @property
    def peak_to_mean(self) -> float:
        return self.peak_requests_per_s / self.mean_requests_per_s if self.mean_requests_per_s else 1.0


def _rate(value, what: str) -> float:
    d = as_decimal(value, what)
    if d < 0:
        raise BadInputError(f"{what} must be >= 0, got {value}")
    return float(d)


def _hour_of(value: str, where: str) -> dt.datetime:
    """A timestamp (ISO 8601, or Unix seconds) floored to its hour, in UTC."""
    try:
        if value.replace(".", "", 1).isdigit():
            t = dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
        else:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            t = t.astimezone(dt.timezone.utc) if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise BadInputError(f"{where}: timestamp {value!r} is not ISO 8601 (2026-11-30T14:05:00Z) or Unix seconds") from None
    return t.replace(minute=0, second=0, microsecond=0)


def demand_from_csv(path: str | Path) -> Demand:
    """Hourly demand from a CSV with a ``requests`` column and either an ``hour`` column (a label per
    hour of a profile: 0-23 for a day, 0-167 for a week; rows with the same label add up) or a
    ``timestamp`` column (ISO 8601 or Unix seconds, at any granularity: rows are summed into clock
    hours, and hours with no rows between the first and the last count as 0 requests).  Optional
    ``prompt_tokens`` / ``response_tokens`` columns are mean tokens per request on that row; the plan
    uses their request-weighted means."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInputError(f"cannot read traffic file {str(p)!r}: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    cols = [c.strip().lower() for c in (reader.fieldnames or [])]
    if "requests" not in cols or not ({"hour", "timestamp"} & set(cols)):
        raise BadInputError(f"{p}:1: expected a header with hour (or timestamp) and requests columns, "
                            f"got {', '.join(cols) or 'nothing'}")
    key_col = "hour" if "hour" in cols else "timestamp"
    buckets: dict = {}
    weights: dict[str, float] = {"prompt_tokens": 0.0, "response_tokens": 0.0}
    total = 0.0
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        where = f"{p}:{line}"
        try:
            n = float(Decimal(row["requests"]))
            if not math.isfinite(n):
                raise ValueError
        except (ArithmeticError, ValueError):
            raise BadInputError(f"{where}: requests {row['requests']!r} is not a number") from None
        if n < 0:
            raise BadInputError(f"{where}: requests {row['requests']} is negative")
        label = row.get(key_col, "")
        if not label:
            raise BadInputError(f"{where}: the {key_col} column is empty")
        key = _hour_of(label, where) if key_col == "timestamp" else label
        for col in weights:
            if row.get(col):
                try:
                    t = float(Decimal(row[col]))
                    if not math.isfinite(t) or t < 0:
                        raise ValueError
                except (ArithmeticError, ValueError):
                    raise BadInputError(f"{where}: {col} {row[col]!r} is not a number >= 0") from None
                weights[col] += t * n
        buckets[key] = buckets.get(key, 0.0) + n
        total += n
    if not buckets:
        raise BadInputError(f"{p}: no rows of traffic")
    if total == 0:
        raise BadInputError(f"{p}: every hour has 0 requests; nothing to size for")
    if key_col == "timestamp":
        first, last = min(buckets), max(buckets)
        hours = int((last - first).total_seconds() // 3600) + 1
        counts = [buckets.get(first + dt.timedelta(hours=h), 0.0) for h in range(hours)]
    else:
        counts = list(buckets.values())
    has = {c: c in cols for c in weights}
    return Demand(requests_per_s_by_hour=[c / 3600.0 for c in counts],
                  prompt_tokens=weights["prompt_tokens"] / total if has["prompt_tokens"] else None,
                  response_tokens=weights["response_tokens"] / total if has["response_tokens"] else None,
                  source=f"{p.name}: {len(counts)} hours")


def _demand(requests_per_s, traffic) -> Demand | None:
    if requests_per_s is not None and traffic is not None:
        raise BadInputError("give a constant request rate or a traffic profile, not both")
    if requests_per_s is not None:
        r = _rate(requests_per_s, "requests per second")
        if r == 0:
            raise BadInputError("requests per second must be > 0")
        return Demand(requests_per_s_by_hour=[r], source=f"constant {r:g} requests/s")
    if traffic is None:
        return None
    if isinstance(traffic, Demand):
        return traffic
    if isinstance(traffic, (str, Path)):
        return demand_from_csv(traffic)
    rates = [_rate(x, f"hour {i} of the traffic profile") for i, x in enumerate(traffic)]
    if not rates or max(rates) == 0:
        raise BadInputError("a traffic profile needs at least one hour with requests")
    return Demand(requests_per_s_by_hour=rates, source=f"profile of {len(rates)} hours")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class Candidate(BaseModel):
    """One deployment the search considered: the best concurrency for a GPU x precision x TP size."""

    gpu: str
    precision: str
    gpus_per_replica: int
    replicas: int
    concurrency: int  # sequences per replica
    output_tokens_per_s_per_gpu: float
    per_user_output_tokens_per_s: float
    ttft_s: float
    itl_s: float
    meets_targets: bool
    price_per_gpu_hour: Decimal | None
    monthly_cost: Decimal | None  # None: no sourced price in the tier
    cost_per_1m_output: Decimal | None  # at full load of the replicas (no demand) or at the demand


class FrontierPoint(BaseModel):
    gpu: str
    precision: str
    gpus_per_replica: int
    concurrency: int
    per_user_output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    ttft_s: float


class HostedCost(BaseModel):
    label: str
    monthly_cost: Decimal  # USD for the same requests
    cost_per_1m_input: Decimal
    cost_per_1m_output: Decimal
    effective: dt.date  # the price period in force
    checked: dt.date  # when that price was verified
    source: str


class Plan(BaseModel):
    """The cheapest deployment that meets the targets at peak demand (or the best it can do)."""

    model: str
    prompt_tokens: int
    response_tokens: int
    ttft_target_s: float | None
    itl_target_s: float | None
    peak_requests_per_s: float | None
    mean_requests_per_s: float | None
    demand_source: str | None
    meets_targets: bool
    gpu: str
    precision: str
    gpus_per_replica: int
    replicas: int  # at the peak hour, redundancy included
    redundancy: int
    autoscale: bool
    max_load: Decimal  # share of a replica's throughput the peak may use
    concurrency: int  # sequences per replica
    output_tokens_per_s_per_gpu: float
    per_user_output_tokens_per_s: float
    ttft_s: float
    itl_s: float
    price_tier: str
    price_per_gpu_hour: Decimal
    price_source: str
    price_range_low: Decimal | None
    price_range_high: Decimal | None
    monthly_cost: Decimal
    monthly_gpu_hours: Decimal
    cost_per_1m_input: Decimal
    cost_per_1m_output: Decimal
    utilization: Decimal | None  # mean demand / paid fleet capacity (spares included); None without a demand
    candidates: list[Candidate]  # runners-up, cheapest first (best per GPU x precision)
    frontier: list[FrontierPoint]
    hosted: list[HostedCost]
    notes: list[str]


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


def _batch_grid(limit: int) -> list[int]:
    out = {1, limit}
    b = 1.0
    while b < limit:
        out.add(int(b))
        b *= 1.25
    return sorted(x for x in out if 1 <= x <= limit)


def _check_target(value, what: str) -> float | None:
    if value is None:
        return None
    d = as_decimal(value, what)
    if d <= 0:
        raise BadInputError(f"{what} must be > 0 seconds, got {value}")
    return float(d)


def _search_concurrency(dep: Deployment, prompt: int, response: int, limit: int, ttft: float | None,
                        itl: float | None, cal: Calibration) -> tuple[list[Load], list[Load]]:
    """The loads on a geometric grid of concurrencies up to ``limit`` (for the frontier), and those that
    meet the targets, by concurrency, with the largest one found exactly (latency rises with load)."""
    grid = _batch_grid(limit)
    loads = [load(dep, prompt, response, b, cal) for b in grid]
    ok = [ld for ld in loads if _meets(ld, ttft, itl)]
    if ok and ok[-1].running < limit:  # bisect between the last grid point that meets and the next
        lo, hi = ok[-1].running, grid[grid.index(ok[-1].running) + 1]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            ld = load(dep, prompt, response, mid, cal)
            if _meets(ld, ttft, itl):
                lo = mid
                ok.append(ld)
            else:
                hi = mid
        ok.sort(key=lambda ld: ld.running)
    return loads, ok


def _meets(ld: Load, ttft: float | None, itl: float | None) -> bool:
    return (ttft is None or ld.ttft_s <= ttft) and (itl is None or ld.itl_s <= itl)


def _miss(ld: Load, ttft: float | None, itl: float | None) -> float:
    """How far a load is from the targets (1 = just meets; larger = worse)."""
    ratios = [ld.ttft_s / ttft if ttft else 0.0, ld.itl_s / itl if itl else 0.0]
    return max(ratios) or ld.itl_s


@dataclass(frozen=True)
class _Option:
    """One deployment the search sized: its chosen load, replicas per sized hour, and price (if any)."""

    dep: Deployment
    load: Load
    meets: bool
    replicas_by_hour: list[int]
    price: Decimal | None
    price_source: str
    price_low: Decimal | None
    price_high: Decimal | None

    @property
    def replicas(self) -> int:
        return max(self.replicas_by_hour)

    def gpu_hours(self) -> Decimal:
        per_hour = HOURS_PER_MONTH / Decimal(len(self.replicas_by_hour))
        return sum((Decimal(r * self.dep.gpus) * per_hour for r in self.replicas_by_hour), Decimal(0))

    def monthly_cost(self) -> Decimal | None:
        return quantize_money(self.gpu_hours() * self.price) if self.price is not None else None


def plan(
    model: str,
    *,
    prompt_tokens: int | None = None,
    response_tokens: int | None = None,
    ttft_s=None,
    itl_s=None,
    requests_per_s=None,
    traffic: Demand | Sequence[float] | str | Path | None = None,
    gpus: Sequence[str] | None = None,
    precisions: Sequence[str] | None = None,
    price_tier: str = "on-demand",
    redundancy: int = 0,
    autoscale: bool = False,
    max_load=DEFAULT_MAX_LOAD,
    max_gpus: int | None = None,
    gpu_prices: dict[str, Decimal | str | int] | None = None,
    vs: Sequence[str] = (),
    registry=None,
    calibration: Calibration | None = None,
) -> Plan:
    """The lowest monthly cost deployment of ``model`` that meets ``ttft_s`` / ``itl_s`` (seconds) at
    the peak of the demand (``requests_per_s``, or ``traffic``: an hourly profile, a :class:`Demand`,
    or a CSV path).  Replicas follow the peak (a fixed fleet) or, with ``autoscale``, each hour (at
    least one); ``redundancy`` spare replicas are added either way.  Without a demand, one replica is
    sized at the largest concurrency that meets the targets and deployments are ranked by cost per
    output token at full load.  When no deployment meets the targets, the plan is the one closest to
    them (``meets_targets=False``).  ``gpu_prices`` ({gpu: $/GPU-hour}) replaces or supplies the price
    of a GPU (e.g. one with no sourced price).  ``vs`` names hosted models priced for the same requests.
    """
    hw = load_hardware()
    arch = resolve_model(model, hw)
    demand = _demand(requests_per_s, traffic)
    if prompt_tokens is None and demand is not None and demand.prompt_tokens is not None:
        prompt_tokens = round(demand.prompt_tokens)
    if response_tokens is None and demand is not None and demand.response_tokens is not None:
        response_tokens = max(1, round(demand.response_tokens))
    if prompt_tokens is None or response_tokens is None:
        raise BadInputError("a plan needs prompt and response tokens per request (or a traffic file with those columns)")
    prompt = check_tokens(prompt_tokens, "prompt tokens", allow_zero=True)
    response = check_tokens(response_tokens, "response tokens")
    ttft = _check_target(ttft_s, "the time-to-first-token target")
    itl = _check_target(itl_s, "the inter-token latency target")
    if isinstance(redundancy, bool) or not isinstance(redundancy, int) or redundancy < 0:
        raise BadInputError(f"redundancy must be a whole number of spare replicas >= 0, got {redundancy!r}")
    if max_gpus is not None and (isinstance(max_gpus, bool) or not isinstance(max_gpus, int) or max_gpus <= 0):
        raise BadInputError(f"the GPU bound must be a positive whole number, got {max_gpus!r}")
    tier = normalize_name(price_tier)
    if tier not in PRICE_TIERS:
        raise BadInputError(f"unknown price tier {price_tier!r}; use one of {', '.join(PRICE_TIERS)}")
    cap_d = as_decimal(max_load, "the maximum load per replica")
    if not Decimal(0) < cap_d <= 1:
        raise BadInputError(f"the maximum load per replica must be in (0, 1], got {max_load}; e.g. 0.85")
    load_cap = float(cap_d)
    gpu_list: list[Gpu] = [resolve_gpu(g, hw) for g in gpus] if gpus else list(hw.gpus.values())
    precs = [normalize_name(p) for p in (precisions or DEFAULT_PRECISIONS)]
    for p in precs:
        if p not in WEIGHT_BYTES:
            raise BadInputError(f"unknown precision {p!r}; use one of bf16, fp8, fp4")
    own_prices: dict[str, Decimal] = {}
    for name, value in (gpu_prices or {}).items():
        d = as_decimal(value, f"price per GPU-hour of {name}")
        if d < 0:
            raise BadInputError(f"price per GPU-hour of {name} must be >= 0, got {value}")
        own_prices[resolve_gpu(name, hw).id] = d
    if own_prices and gpus:
        gpu_ids = {g.id for g in gpu_list}
        gpu_list += [hw.gpus[i] for i in own_prices if i not in gpu_ids]
    cal = calibration or default_calibration()
    notes: list[str] = []
    hours = demand.requests_per_s_by_hour if demand else []

    def size(ld: Load) -> list[int]:
        """Replicas per sized hour (the peak, or every hour when autoscaling) at this per-replica load."""
        if not demand:
            return [1 + redundancy]
        per = ld.requests_per_s * load_cap  # what one replica takes at the peak, headroom kept
        return [max(1, math.ceil(r / per - 1e-9)) + redundancy for r in (hours if autoscale else [max(hours)])]

    options: list[_Option] = []
    frontier: list[FrontierPoint] = []
    unpriced: set[str] = set()
    for g in gpu_list:
        if g.id in own_prices:
            price, _note = GpuPrice(price_per_gpu_hour=own_prices[g.id], source="user-supplied", tier="user"), ""
        else:
            price, _note = gpu_price(g, price_tier=tier, hw=hw)
        if price is None:
            unpriced.add(g.id)
        for prec in precs:
            if prec != "bf16" and not g.has_native(prec):
                continue
            for n in ALLOWED_GPU_COUNTS:
                dep = Deployment(model=arch, gpu=g, gpus=n, precision=prec, kv_precision=default_kv_precision(prec, g))
                limit = dep.batch_limit(prompt, response, cal)
                if limit < 1:
                    continue
                loads, ok = _search_concurrency(dep, prompt, response, limit, ttft, itl, cal)
                frontier += [FrontierPoint(gpu=g.id, precision=prec, gpus_per_replica=n, concurrency=ld.running,
                                           per_user_output_tokens_per_s=1 / ld.itl_s,
                                           output_tokens_per_s_per_gpu=ld.output_tokens_per_s / n, ttft_s=ld.ttft_s)
                             for ld in loads]
                best = ok[-1] if ok else min(loads, key=lambda ld: _miss(ld, ttft, itl))
                reps = size(best)
                if demand and ok:  # the lowest concurrency that needs no more replicas: better latency, same cost
                    best = next(ld for ld in ok if size(ld) == reps)
                options.append(_Option(dep=dep, load=best, meets=bool(ok), replicas_by_hour=reps,
                                       price=price.price_per_gpu_hour if price else None,
                                       price_source=price.source if price else _note,
                                       price_low=price.range_low if price else None,
                                       price_high=price.range_high if price else None))
    if not options:
        raise BadInputError(f"{arch.id} does not fit on up to 8 of any GPU searched ({', '.join(g.id for g in gpu_list)}) "
                            f"at {', '.join(precs)}")
    if max_gpus is not None:
        within = [o for o in options if o.replicas * o.dep.gpus <= max_gpus]
        if not within:
            fewest = min(options, key=lambda o: o.replicas * o.dep.gpus)
            raise BadInputError(f"the demand needs at least {fewest.replicas * fewest.dep.gpus} GPUs "
                                f"({fewest.replicas} x {fewest.dep.gpus} x {fewest.dep.gpu.id}), more than the bound of {max_gpus}")
        options = within
    priced = [o for o in options if o.price is not None]
    if not priced:
        raise BadInputError(f"no searched GPU has a sourced {tier} price ({', '.join(sorted(unpriced))}); "
                            "try another price tier, or compare performance with the selfhost estimate")
    if unpriced:
        notes.append(f"not ranked (no sourced {tier} price): {', '.join(sorted(unpriced))}")

    def out_rate(o: _Option) -> float:  # output tokens/s the fleet serves at full load
        return o.load.output_tokens_per_s * max(1, o.replicas - redundancy)

    def rank(o: _Option):
        cost = o.monthly_cost()
        if demand:
            return (not o.meets, cost if o.meets else Decimal(str(_miss(o.load, ttft, itl))), o.replicas * o.dep.gpus)
        per_token = cost / Decimal(str(out_rate(o)))
        return (not o.meets, per_token if o.meets else Decimal(str(_miss(o.load, ttft, itl))), o.dep.gpus)

    priced.sort(key=rank)
    best = priced[0]
    met = best.meets
    if not met:
        notes.append(f"no searched deployment meets the targets; the closest is shown "
                     f"(TTFT {best.load.ttft_s:.2f} s, ITL {best.load.itl_s * 1e3:.0f} ms at concurrency {best.load.running})")
    if not (precisions):
        notes.append("precisions searched: bf16, fp8 (fp4 only when asked: it changes output quality more)")
    if demand:
        notes.append(f"replicas sized so the peak uses at most {cap_d:.0%} of each one's throughput (headroom for bursts)")

    # money
    ld, dep = best.load, best.dep
    cost = best.monthly_cost()
    if best.price is None or cost is None:  # ranked options all have a price (checked above)
        raise BadInputError(f"no price for {best.dep.gpu.id}")
    if demand:
        monthly_requests = Decimal(str(demand.mean_requests_per_s)) * SECONDS_PER_MONTH
        capacity = sum(ld.requests_per_s * r for r in best.replicas_by_hour) / len(best.replicas_by_hour)  # paid, spares too
        utilization = Decimal(str(demand.mean_requests_per_s / capacity)).quantize(Decimal("0.0001")) if capacity else None
    else:
        monthly_requests = Decimal(str(ld.requests_per_s * max(1, best.replicas - redundancy))) * SECONDS_PER_MONTH
        utilization = None
        notes.append("no demand given: one replica at the largest concurrency meeting the targets; "
                     "per-token costs assume it is busy all month")
    # input tokens carry the prefill share of the GPU time, output tokens the decode share
    t_req = ld.prefill_s + response * ld.step_s / ld.running
    share_in = Decimal(str(ld.prefill_s / t_req)) if prompt else Decimal(0)
    per_1m_in = quantize_money(cost * share_in / (monthly_requests * prompt) * 1_000_000) if prompt else Decimal(0)
    per_1m_out = quantize_money(cost * (1 - share_in) / (monthly_requests * response) * 1_000_000)

    candidates = []
    seen = set()
    unpriced_options = sorted((o for o in options if o.price is None),  # best first: meets, then fewest GPUs
                              key=lambda o: (not o.meets, o.replicas * o.dep.gpus, _miss(o.load, ttft, itl)))
    for o in priced[1:] + unpriced_options:
        key = (o.dep.gpu.id, o.dep.precision)
        if key in seen or key == (best.dep.gpu.id, best.dep.precision) and o.dep.gpus == best.dep.gpus:
            continue
        seen.add(key)
        c = o.monthly_cost()
        candidates.append(Candidate(
            gpu=o.dep.gpu.id, precision=o.dep.precision, gpus_per_replica=o.dep.gpus, replicas=o.replicas,
            concurrency=o.load.running, output_tokens_per_s_per_gpu=o.load.output_tokens_per_s / o.dep.gpus,
            per_user_output_tokens_per_s=1 / o.load.itl_s, ttft_s=o.load.ttft_s, itl_s=o.load.itl_s, meets_targets=o.meets,
            price_per_gpu_hour=o.price, monthly_cost=c,
            cost_per_1m_output=(quantize_money(c / o.gpu_hours() * Decimal(o.dep.gpus) / Decimal(str(o.load.output_tokens_per_s * 3600))
                                               * 1_000_000) if c is not None else None)))

    hosted = _hosted_costs(vs, registry, prompt, response, monthly_requests)
    if hosted and not demand:
        notes.append("hosted costs are for the same requests as the self-hosted plan's full-load capacity")

    return Plan(
        model=arch.id, prompt_tokens=prompt, response_tokens=response, ttft_target_s=ttft, itl_target_s=itl,
        peak_requests_per_s=demand.peak_requests_per_s if demand else None,
        mean_requests_per_s=demand.mean_requests_per_s if demand else None,
        demand_source=demand.source if demand else None, meets_targets=met, gpu=dep.gpu.id, precision=dep.precision,
        gpus_per_replica=dep.gpus, replicas=best.replicas, redundancy=redundancy, autoscale=autoscale and bool(demand),
        max_load=cap_d,
        concurrency=ld.running, output_tokens_per_s_per_gpu=ld.output_tokens_per_s / dep.gpus,
        per_user_output_tokens_per_s=1 / ld.itl_s, ttft_s=ld.ttft_s, itl_s=ld.itl_s, price_tier=tier,
        price_per_gpu_hour=best.price, price_source=best.price_source, price_range_low=best.price_low,
        price_range_high=best.price_high, monthly_cost=cost, monthly_gpu_hours=best.gpu_hours(),
        cost_per_1m_input=per_1m_in, cost_per_1m_output=per_1m_out, utilization=utilization,
        candidates=candidates, frontier=_pareto(frontier), hosted=hosted, notes=notes,
    )


def _pareto(points: list[FrontierPoint]) -> list[FrontierPoint]:
    """Per GPU x precision, the points no other TP size or concurrency beats on both axes."""
    out = []
    groups: dict[tuple[str, str], list[FrontierPoint]] = {}
    for p in points:
        groups.setdefault((p.gpu, p.precision), []).append(p)
    for key in sorted(groups):
        pts = sorted(groups[key], key=lambda p: (-p.per_user_output_tokens_per_s, -p.output_tokens_per_s_per_gpu))
        best = -1.0
        for p in pts:
            if p.output_tokens_per_s_per_gpu > best:
                out.append(p)
                best = p.output_tokens_per_s_per_gpu
    return out


def _hosted_costs(vs: Sequence[str], registry, prompt: int, response: int, monthly_requests: Decimal) -> list[HostedCost]:
    if not vs:
        return []
    from tokencost.pricing import price  # the hosted side is priced by the one per-request path
    from tokencost.usage import Usage

    usage = Usage(input_tokens=prompt, output_tokens=response)
    out = []
    for key in vs:
        est = price(key, usage, registry=registry)
        out.append(HostedCost(
            label=est.model, monthly_cost=quantize_money(est.cost_per_request * monthly_requests),
            cost_per_1m_input=quantize_money(est.rates_per_1m.get("input") or Decimal(0)),
            cost_per_1m_output=quantize_money(est.rates_per_1m.get("output") or Decimal(0)),
            effective=est.price_effective, checked=est.price_checked, source=est.source,
        ))
    return out


# --------------------------------------------------------------------------------------------
# The frontier plot
# --------------------------------------------------------------------------------------------


def plot_frontier(result: Plan, path: str, log: bool = True) -> None:
    """Output tokens/s per GPU against tokens/s per user for each GPU x precision; the plan marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(9, 5.5))
    groups: dict[tuple[str, str], list[FrontierPoint]] = {}
    for p in result.frontier:
        groups.setdefault((p.gpu, p.precision), []).append(p)
    colors = dict(zip(sorted({g for g, _ in groups}), plt.get_cmap("tab10").colors))  # one colour per GPU
    styles = {"bf16": "--", "fp8": "-", "fp4": ":"}  # one line style per precision
    for (g, prec), pts in sorted(groups.items()):
        pts = sorted(pts, key=lambda p: p.per_user_output_tokens_per_s)
        ax.plot([p.per_user_output_tokens_per_s for p in pts], [p.output_tokens_per_s_per_gpu for p in pts],
                linestyle=styles.get(prec, "-"), color=colors[g], linewidth=1.4, label=f"{g} {prec}")
    x = result.per_user_output_tokens_per_s
    y = result.output_tokens_per_s_per_gpu
    ax.plot([x], [y], marker="*", markersize=16, color="gold", markeredgecolor="black", zorder=6, linestyle="none",
            label=f"plan: {result.replicas} replicas of {result.gpus_per_replica}x {result.gpu} {result.precision}, "
                  f"{human_usd(float(result.monthly_cost))}/month")
    if result.itl_target_s:
        ax.axvline(1 / result.itl_target_s, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"ITL target {result.itl_target_s * 1e3:g} ms", (1 / result.itl_target_s, 0.98), xycoords=("data", "axes fraction"),
                    xytext=(4, -4), textcoords="offset points", fontsize=8, color="grey", va="top")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    fmt = FuncFormatter(lambda v, _p: human_tokens(v))
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    ax.set_xlabel("output tokens/s per user (interactivity)")
    ax.set_ylabel("output tokens/s per GPU (throughput)")
    demand = (f"{result.peak_requests_per_s:g} requests/s at peak" if result.peak_requests_per_s else "one replica, no demand given")
    ax.set_title(f"{result.model}: throughput per GPU vs speed per user, {result.prompt_tokens:,} in / "
                 f"{result.response_tokens:,} out tokens\n{demand}; predicted by tokencost's calibrated model", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)
