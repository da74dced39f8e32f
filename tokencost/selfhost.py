"""Self-hosted Llama: throughput from a calibrated roofline model, cost per token, break-even.

Data (every number with ``source`` and ``checked``) lives in ``pricing/hardware/*.toml``:
``gpus.toml`` (memory, bandwidth, dense TFLOPS, power), ``models.toml`` (Llama architectures),
``clouds.toml`` ($/GPU-hour where a provider page could be read) and ``measurements.toml``
(published measured throughputs, the calibration and validation set).

The model
---------
* Weights take ``params x bytes/param / gpus`` per GPU (tensor parallel); the KV cache gets
  ``KV_MEMORY_FRACTION`` of what is left after ``RUNTIME_RESERVE_GB``.  A sequence needs
  ``2 x layers x kv_heads x head_dim x kv_bytes`` per token, so the KV cache bounds the batch.
* Prefill of a ``P``-token prompt costs ``2 x active_params x P + 2 x layers x attn_width x P^2``
  FLOPs and runs at ``eff_prefill`` of the peak tensor FLOPS (never faster than one weight read).
* A decode step for ``B`` sequences with average context ``c`` reads the (touched) weights and
  ``B x c`` KV entries at ``eff_bw`` of the HBM bandwidth, and does ``2 x active_params x B`` plus
  attention FLOPs at ``eff_flops`` of peak; it takes the larger of the two (roofline), plus a fixed
  ``step_overhead_s`` and, with tensor parallelism, ``allreduce_s`` per layer.
* ``C`` concurrent users each sending ``P``-in / ``R``-out requests complete ``C`` requests every
  ``C x t_prefill + R x t_step(C)`` seconds, so output tokens/s = ``C R / (C t_prefill + R t_step(C))``.
  ``concurrency=None`` means the largest ``C`` the KV cache (and the engine's batch cap) allows.

The efficiency factors (and the FP4 and ROCm kernel-maturity factors) are fitted on the ``holdout = false`` rows of ``measurements.toml`` (dense
Llama 3.x rows only) and the error is reported on the ``holdout = true`` rows; run
``python -m tokencost.selfhost --calibration-table`` for the table in ``docs/selfhost.md``.

The fitted values are stored in ``CALIBRATED``; ``calibrate()`` recomputes them from the data.

Money is ``Decimal`` end to end.  Physics (FLOPs, bytes, seconds) is float; GPU-seconds are
converted to ``Decimal`` with 10 significant digits before any money is computed, and money results
are quantized to ``MONEY_QUANTUM`` (1e-10 USD, half-even) -- round further only for display.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import os
import statistics
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tokencost.errors import BadInputError, PriceFileError, UnknownModelError
from tokencost.registry import read_toml_model, shipped_pricing_dir

__all__ = [
    "Assumption",
    "BreakevenResult",
    "Calibration",
    "HostedOption",
    "SelfHostEstimate",
    "breakeven",
    "calibrate",
    "calibration_report",
    "estimate",
    "load_hardware",
    "predict_output_tokens_per_s",
    "resolve_gpu",
    "resolve_model",
]

HARDWARE_DIR = shipped_pricing_dir() / "hardware"
MONEY_QUANTUM = Decimal("1E-10")
HOURS_PER_MONTH = Decimal("730")  # 8,760 h / 12
HOURS_PER_YEAR = Decimal("8760")
KV_MEMORY_FRACTION = 0.90  # engines' default share of free memory for the KV cache (vLLM, TensorRT-LLM)
RUNTIME_RESERVE_GB = 2.0  # CUDA context, activations, workspace per GPU (assumption)
ALLOWED_GPU_COUNTS = (1, 2, 4, 8)
WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}
KV_BYTES = {"bf16": 2.0, "fp8": 1.0}
SENSITIVITY_UTILIZATIONS = (Decimal("0.2"), Decimal("0.5"), Decimal("0.8"), Decimal("1"))

Precision = Literal["bf16", "fp8", "fp4"]
KvPrecision = Literal["bf16", "fp8"]
Url = Annotated[str, Field(pattern=r"^https://\S+$")]
Positive = Annotated[Decimal, Field(gt=0)]
NonNegative = Annotated[Decimal, Field(ge=0)]


# --------------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Gpu(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    name: str
    aliases: list[str] = []
    memory_gb: Positive
    memory_bandwidth_gbps: Positive
    bf16_tflops: Positive
    fp8_tflops: Positive | None = None
    fp4_tflops: Positive | None = None
    tdp_w: Positive
    source: Url
    checked: dt.date
    note: str = ""

    def peak_tflops(self, precision: str) -> float:
        """Peak dense TFLOPS for the precision, falling back to BF16 (weight-only quantization)."""
        value = {"fp8": self.fp8_tflops, "fp4": self.fp4_tflops}.get(precision)
        return float(value if value is not None else self.bf16_tflops)

    def has_native(self, precision: str) -> bool:
        return precision == "bf16" or {"fp8": self.fp8_tflops, "fp4": self.fp4_tflops}[precision] is not None


class ModelArch(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    aliases: list[str] = []
    dim: Annotated[int, Field(gt=0)]
    n_layers: Annotated[int, Field(gt=0)]
    n_heads: Annotated[int, Field(gt=0)]
    n_kv_heads: Annotated[int, Field(gt=0)]
    head_dim: Annotated[int, Field(gt=0)] | None = None
    ffn_dim_multiplier: Positive | None = None
    multiple_of: Annotated[int, Field(gt=0)] | None = None
    vocab_size: Annotated[int, Field(gt=0)]
    params_total_b: Positive | None = None
    params_active_b: Positive | None = None
    num_experts: Annotated[int, Field(gt=1)] | None = None
    source: Url
    checked: dt.date
    note: str = ""

    @model_validator(mode="after")
    def _dense_or_moe(self) -> ModelArch:
        if self.num_experts is None:
            if self.ffn_dim_multiplier is None or self.multiple_of is None:
                raise ValueError(f"{self.id}: a dense model needs ffn_dim_multiplier and multiple_of")
        elif self.params_total_b is None or self.params_active_b is None:
            raise ValueError(f"{self.id}: a mixture-of-experts model needs params_total_b and params_active_b")
        return self

    @property
    def is_moe(self) -> bool:
        return self.num_experts is not None

    @property
    def hd(self) -> int:
        return self.head_dim or self.dim // self.n_heads

    @property
    def ffn_hidden(self) -> int:
        """Meta's formula (llama_models/llama3/model.py, FeedForward)."""
        assert self.ffn_dim_multiplier is not None and self.multiple_of is not None
        hidden = int(2 * (4 * self.dim) / 3)
        hidden = int(float(self.ffn_dim_multiplier) * hidden)
        return self.multiple_of * ((hidden + self.multiple_of - 1) // self.multiple_of)

    @property
    def params_total(self) -> float:
        if self.params_total_b is not None:
            return float(self.params_total_b) * 1e9
        d, kv = self.dim, self.n_kv_heads * self.hd
        per_layer = 2 * d * self.n_heads * self.hd + 2 * d * kv + 3 * d * self.ffn_hidden
        return self.n_layers * per_layer + 2 * self.vocab_size * d

    @property
    def params_active(self) -> float:
        if self.params_active_b is not None:
            return float(self.params_active_b) * 1e9
        return self.params_total

    @property
    def expert_params(self) -> float:
        """Parameters of one routed expert summed over layers (top-1 routing + shared expert)."""
        if not self.is_moe:
            return 0.0
        assert self.num_experts is not None
        return (self.params_total - self.params_active) / (self.num_experts - 1)

    def kv_bytes_per_token(self, kv_precision: str) -> float:
        return 2.0 * self.n_layers * self.n_kv_heads * self.hd * KV_BYTES[kv_precision]


class CloudPrice(_Strict):
    cloud: str
    gpu: str
    instance: str | None = None
    pricing_model: Literal["on-demand", "capacity-block", "reserved", "spot"]
    region: str
    price_per_gpu_hour: NonNegative
    effective: dt.date
    source: Url
    checked: dt.date
    note: str = ""


class Licence(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    name: str
    aliases: list[str] = []
    price_per_gpu_year: NonNegative
    currency: Literal["USD"]
    source: Url
    checked: dt.date
    note: str = ""


class Measurement(_Strict):
    model: str
    gpu: str
    gpus: Annotated[int, Field(gt=0)]
    precision: Precision
    kv_precision: KvPrecision
    engine: str
    input_tokens: Annotated[int, Field(gt=0)]
    output_tokens: Annotated[int, Field(gt=0)]
    concurrency: Annotated[int, Field(gt=0)] | Literal["max"]
    output_tokens_per_s: Positive
    holdout: bool
    source: Url
    checked: dt.date
    note: str = ""

    @property
    def regime(self) -> str:
        if self.concurrency == "max":
            return "max-load"
        return "concurrency-1" if self.concurrency == 1 else "fixed-concurrency"


class _GpuFile(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    gpu: list[Gpu]


class _ModelFile(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    model: list[ModelArch]


class _CloudFile(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    price: list[CloudPrice] = []


class _LicenceFile(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    licence: list[Licence] = []


class _MeasurementFile(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    measurement: list[Measurement]


class OnPremDefault(_Strict):
    """A sourced default for an on-premises input (e.g. PUE), used when the user gives none."""

    name: str
    value: Annotated[Decimal, Field(ge=0)]
    unit: str
    source: Url
    checked: dt.date
    note: str = ""


class _OnPremFile(_Strict):
    schema_: Literal[1] = Field(1, alias="schema")
    default: list[OnPremDefault] = []


class Hardware(BaseModel):
    model_config = ConfigDict(frozen=True)
    gpus: dict[str, Gpu]
    models: dict[str, ModelArch]
    prices: list[CloudPrice]
    licences: dict[str, Licence]
    onprem: dict[str, OnPremDefault] = {}
    directory: Path

    @functools.cached_property
    def measurements(self) -> list[Measurement]:
        """The published measurements (parsed on first use: only calibration needs them)."""
        rows = _load(self.directory / "measurements.toml", _MeasurementFile).measurement  # type: ignore[attr-defined]
        problems = [f"measurements.toml: unknown {kind} {name!r}" for m in rows
                    for kind, name, table in (("model", m.model, self.models), ("gpu", m.gpu, self.gpus))
                    if name not in table]
        if problems:
            raise PriceFileError(problems)
        return rows


def _load(path: Path, cls: type[_Strict]) -> _Strict:
    if not path.exists():
        raise PriceFileError([f"{path}: hardware data file is missing"])
    return read_toml_model(path, cls)


@functools.lru_cache(maxsize=4)
def load_hardware(directory: str | None = None) -> Hardware:
    """Load and validate ``pricing/hardware`` (or ``$TOKENCOST_HARDWARE_DIR`` / ``directory``)."""
    base = Path(directory or os.environ.get("TOKENCOST_HARDWARE_DIR") or HARDWARE_DIR)
    gpus = _load(base / "gpus.toml", _GpuFile).gpu  # type: ignore[attr-defined]
    models = _load(base / "models.toml", _ModelFile).model  # type: ignore[attr-defined]
    prices = _load(base / "clouds.toml", _CloudFile).price  # type: ignore[attr-defined]
    licences = _load(base / "licences.toml", _LicenceFile).licence  # type: ignore[attr-defined]
    onprem = _load(base / "onprem.toml", _OnPremFile).default if (base / "onprem.toml").exists() else []  # type: ignore[attr-defined]
    hw = Hardware(gpus={g.id: g for g in gpus}, models={m.id: m for m in models}, prices=prices,
                  licences={x.id: x for x in licences}, onprem={d.name: d for d in onprem}, directory=base)
    problems = []
    for p in prices:
        if p.gpu not in hw.gpus:
            problems.append(f"clouds.toml: unknown gpu {p.gpu!r}")
    if problems:
        raise PriceFileError(problems)
    return hw


# --------------------------------------------------------------------------------------------
# Name resolution
# --------------------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def _resolve(name: str, table: dict, kind: str, error: type[BadInputError]):
    key = _norm(name)
    if not key:
        raise error(f"empty {kind} name")
    names: dict[str, str] = {}
    for ident, item in table.items():
        names[ident] = ident
        for alias in item.aliases:
            names[_norm(alias)] = ident
    if key in names:
        return table[names[key]]
    tokens = [t for t in key.replace(".", "-").split("-") if t]
    hits = sorted({ident for n, ident in names.items() if all(t in n.replace(".", "-").split("-") for t in tokens)})
    if len(hits) == 1:
        return table[hits[0]]
    if len(hits) > 1:
        raise error(f"{kind} {name!r} is ambiguous: it could be {', '.join(hits)}; type one of those")
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(sorted({names[c] for c in close}))}?" if close else ""
    raise error(f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(table))})")


def resolve_gpu(name: str, hw: Hardware | None = None) -> Gpu:
    return _resolve(name, (hw or load_hardware()).gpus, "GPU", BadInputError)


def resolve_licence(name: str, hw: Hardware | None = None) -> Licence:
    return _resolve(name, (hw or load_hardware()).licences, "licence", BadInputError)


def resolve_model(name: str, hw: Hardware | None = None) -> ModelArch:
    return _resolve(name, (hw or load_hardware()).models, "model", UnknownModelError)


# --------------------------------------------------------------------------------------------
# Physics
# --------------------------------------------------------------------------------------------


class Calibration(BaseModel):
    """Efficiency factors (fractions of datasheet peaks) and fixed overheads, fitted on measurements."""

    model_config = ConfigDict(frozen=True)
    eff_bw: float = Field(gt=0, le=1)
    eff_flops: float = Field(gt=0, le=1)
    eff_prefill: float = Field(gt=0, le=1)
    step_overhead_s: float = Field(ge=0)
    allreduce_s: float = Field(ge=0)
    fp4_factor: float = Field(gt=0, le=1)
    rocm_factor: float = Field(1.0, gt=0, le=1)
    max_batch: int = Field(gt=0)
    fit_rows: int = 0
    fit_median_abs_error: float = 0.0


class _Deployment(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    model: ModelArch
    gpu: Gpu
    gpus: int
    precision: str
    kv_precision: str

    @property
    def weights_bytes(self) -> float:
        return self.model.params_total * WEIGHT_BYTES[self.precision]

    @property
    def weights_gb_per_gpu(self) -> float:
        return self.weights_bytes / self.gpus / 1e9

    @property
    def kv_gb_per_gpu(self) -> float:
        free = float(self.gpu.memory_gb) - self.weights_gb_per_gpu - RUNTIME_RESERVE_GB
        return max(0.0, free * KV_MEMORY_FRACTION)

    @property
    def kv_capacity_tokens(self) -> int:
        per_gpu_per_token = self.model.kv_bytes_per_token(self.kv_precision) / self.gpus
        return int(self.kv_gb_per_gpu * 1e9 // per_gpu_per_token)

    def max_concurrency(self, prompt: int, response: int) -> int:
        return self.kv_capacity_tokens // (prompt + response)


def _weight_bytes_touched(dep: _Deployment, batch: float) -> float:
    m = dep.model
    if not m.is_moe:
        return dep.weights_bytes
    assert m.num_experts is not None
    e = m.expert_params
    dense = m.params_active - e
    touched_experts = m.num_experts * (1.0 - (1.0 - 1.0 / m.num_experts) ** batch)
    return (dense + touched_experts * e) * WEIGHT_BYTES[dep.precision]


def _is_rocm(gpu: Gpu) -> bool:
    return gpu.name.upper().startswith("AMD")


def _compute_factor(dep: _Deployment, cal: Calibration) -> float:
    """Kernel maturity, one fitted factor each: FP4 tensor-core kernels reach a smaller share of their
    (doubled) peak, and so do the ROCm (AMD Instinct) GEMM/attention kernels of vLLM of their datasheet peak."""
    f = cal.fp4_factor if dep.precision == "fp4" and dep.gpu.has_native("fp4") else 1.0
    return f * (cal.rocm_factor if _is_rocm(dep.gpu) else 1.0)


def _prefill_time(dep: _Deployment, prompt: int, cal: Calibration) -> float:
    m = dep.model
    flops = 2.0 * m.params_active * prompt + 2.0 * m.n_layers * m.n_heads * m.hd * prompt * prompt
    t_compute = flops / (dep.gpus * dep.gpu.peak_tflops(dep.precision) * 1e12 * cal.eff_prefill * _compute_factor(dep, cal))
    t_memory = _weight_bytes_touched(dep, prompt) / dep.gpus / (float(dep.gpu.memory_bandwidth_gbps) * 1e9 * cal.eff_bw)
    return max(t_compute, t_memory)


def _step_time(dep: _Deployment, batch: int, context: float, cal: Calibration) -> float:
    m = dep.model
    n = dep.gpus
    bytes_ = (_weight_bytes_touched(dep, batch) + batch * context * m.kv_bytes_per_token(dep.kv_precision)) / n
    t_memory = bytes_ / (float(dep.gpu.memory_bandwidth_gbps) * 1e9 * cal.eff_bw)
    flops = (2.0 * m.params_active * batch + 4.0 * m.n_layers * m.n_heads * m.hd * context * batch) / n
    t_compute = flops / (dep.gpu.peak_tflops(dep.precision) * 1e12 * cal.eff_flops * _compute_factor(dep, cal))
    comm = 2 * m.n_layers * cal.allreduce_s if n > 1 else 0.0
    return max(t_memory, t_compute) + cal.step_overhead_s + comm


def _timings(dep: _Deployment, prompt: int, response: int, concurrency: int, cal: Calibration) -> tuple[float, float]:
    """(prefill seconds per request, decode step seconds at this concurrency)."""
    return _prefill_time(dep, prompt, cal), _step_time(dep, concurrency, prompt + response / 2.0, cal)


def _throughput(dep: _Deployment, prompt: int, response: int, concurrency: int, cal: Calibration) -> float:
    t_pre, t_step = _timings(dep, prompt, response, concurrency, cal)
    return concurrency * response / (concurrency * t_pre + response * t_step)


def _effective_concurrency(dep: _Deployment, prompt: int, response: int, concurrency: int | None, cal: Calibration) -> int:
    cap = min(dep.max_concurrency(prompt, response), cal.max_batch)
    if concurrency is None:
        return max(cap, 1)
    return max(1, min(concurrency, max(cap, 1)))


def predict_output_tokens_per_s(m: Measurement, cal: Calibration, hw: Hardware | None = None) -> float:
    """Predicted output tokens/s for one measurement row's configuration."""
    hw = hw or load_hardware()
    dep = _Deployment(model=hw.models[m.model], gpu=hw.gpus[m.gpu], gpus=m.gpus, precision=m.precision, kv_precision=m.kv_precision)
    conc = None if m.concurrency == "max" else m.concurrency
    c = _effective_concurrency(dep, m.input_tokens, m.output_tokens, conc, cal)
    return _throughput(dep, m.input_tokens, m.output_tokens, c, cal)


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------

_BOUNDS = {  # name: (low, high, log-scale?)
    "eff_bw": (0.2, 1.0, False),
    "eff_flops": (0.1, 1.0, False),
    "eff_prefill": (0.1, 1.0, False),
    "step_overhead_s": (1e-5, 0.03, True),
    "allreduce_s": (1e-7, 1e-4, True),
    "fp4_factor": (0.2, 1.0, False),
    "rocm_factor": (0.1, 1.0, False),
}
_BATCH_CAPS = (256, 512, 1024, 2048, 4096)


def _from_unit(name: str, u: float) -> float:
    lo, hi, log = _BOUNDS[name]
    u = min(1.0, max(0.0, u))
    return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)


def _is_gated(m: Measurement, hw: Hardware) -> bool:
    """Rows the accuracy goal applies to: dense Llama 3.x (mixture-of-experts rows are reported only)."""
    return not hw.models[m.model].is_moe


def _loss(cal: Calibration, rows: list[Measurement], hw: Hardware) -> float:
    errs = [math.log(predict_output_tokens_per_s(r, cal, hw) / float(r.output_tokens_per_s)) for r in rows]
    return sum(e * e for e in errs) / len(errs)


def _nelder_mead(f, x0: list[float], step: float = 0.15, iters: int = 250) -> list[float]:
    n = len(x0)
    simplex = [list(x0)] + [[x0[j] + (step if j == i else 0.0) for j in range(n)] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(iters):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]
        refl = [c + (c - w) for c, w in zip(centroid, worst)]
        fr = f(refl)
        if fr < values[0]:
            exp = [c + 2 * (c - w) for c, w in zip(centroid, worst)]
            fe = f(exp)
            simplex[-1], values[-1] = (exp, fe) if fe < fr else (refl, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = refl, fr
        else:
            con = [c + 0.5 * (w - c) for c, w in zip(centroid, worst)]
            fc = f(con)
            if fc < values[-1]:
                simplex[-1], values[-1] = con, fc
            else:
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (p[j] - b) for j, b in enumerate(best)] for p in simplex[1:]]
                values = [values[0]] + [f(p) for p in simplex[1:]]
    return simplex[min(range(n + 1), key=values.__getitem__)]


def calibrate(rows: list[Measurement] | None = None, hw: Hardware | None = None) -> Calibration:
    """Fit the efficiency factors by least squares on log(predicted / measured).

    Deterministic: a coarse grid for the starting point, then Nelder-Mead on each batch cap.
    ``rows`` defaults to the non-held-out dense Llama 3.x rows of ``measurements.toml``.
    """
    hw = hw or load_hardware()
    if rows is None:
        rows = [m for m in hw.measurements if not m.holdout and _is_gated(m, hw)]
    if not rows:
        raise BadInputError("no measurement rows to calibrate on")
    names = list(_BOUNDS)

    def make(u: list[float], cap: int) -> Calibration:
        return Calibration(max_batch=cap, **{k: _from_unit(k, v) for k, v in zip(names, u)})

    best: tuple[float, Calibration] | None = None
    for cap in _BATCH_CAPS:
        start = min(
            ([a, b, c, d, e, 0.6, 0.6] for a in (0.4, 0.8) for b in (0.3, 0.7) for c in (0.3, 0.7) for d in (0.3, 0.7) for e in (0.3, 0.7)),
            key=lambda u: _loss(make(u, cap), rows, hw),
        )
        u = _nelder_mead(lambda x: _loss(make(x, cap), rows, hw), start)
        cal = make(u, cap)
        loss = _loss(cal, rows, hw)
        if best is None or loss < best[0]:
            best = (loss, cal)
    assert best is not None
    cal = best[1]
    med = statistics.median(abs(predict_output_tokens_per_s(r, cal, hw) / float(r.output_tokens_per_s) - 1) for r in rows)
    return cal.model_copy(update={"fit_rows": len(rows), "fit_median_abs_error": med})


#: The result of ``calibrate()`` on the shipped measurements, stored so that estimates need no refit.
#: tests/test_selfhost.py refits and fails if these drift from what the data gives.
CALIBRATED = Calibration(
    eff_bw=1.0,
    eff_flops=0.3093,
    eff_prefill=0.4816,
    step_overhead_s=0.004448,
    allreduce_s=3.158e-05,
    fp4_factor=0.5814,
    rocm_factor=0.3179,
    max_batch=4096,
    fit_rows=67,
    fit_median_abs_error=0.1075,
)


def default_calibration() -> Calibration:
    return CALIBRATED


class CalibrationRow(BaseModel):
    model: str
    gpu: str
    gpus: int
    precision: str
    engine: str
    input_tokens: int
    output_tokens: int
    concurrency: str
    regime: str
    holdout: bool
    gated: bool
    measured: float
    predicted: float
    error: float  # predicted / measured - 1
    source: str


class RegimeStats(BaseModel):
    regime: str
    rows: int
    median_abs_error: float
    worst_ratio: float  # max(pred/meas, meas/pred)
    worst_row: str


class CalibrationReport(BaseModel):
    calibration: Calibration
    rows: list[CalibrationRow]
    holdout: list[RegimeStats]  # gated held-out rows, per regime and "all"
    moe: list[RegimeStats]  # Llama 4 rows (all), reported only


def _stats(regime: str, rows: list[CalibrationRow]) -> RegimeStats:
    if not rows:
        return RegimeStats(regime=regime, rows=0, median_abs_error=float("nan"), worst_ratio=float("nan"), worst_row="")
    worst = max(rows, key=lambda r: max(r.predicted / r.measured, r.measured / r.predicted))
    return RegimeStats(
        regime=regime,
        rows=len(rows),
        median_abs_error=statistics.median(abs(r.error) for r in rows),
        worst_ratio=max(worst.predicted / worst.measured, worst.measured / worst.predicted),
        worst_row=f"{worst.model} {worst.gpus}x{worst.gpu} {worst.precision} {worst.input_tokens}/{worst.output_tokens} c={worst.concurrency} ({worst.engine})",
    )


def calibration_report(cal: Calibration | None = None, hw: Hardware | None = None) -> CalibrationReport:
    hw = hw or load_hardware()
    cal = cal or default_calibration()
    rows = []
    for m in hw.measurements:
        pred = predict_output_tokens_per_s(m, cal, hw)
        meas = float(m.output_tokens_per_s)
        rows.append(
            CalibrationRow(
                model=m.model, gpu=m.gpu, gpus=m.gpus, precision=m.precision, engine=m.engine,
                input_tokens=m.input_tokens, output_tokens=m.output_tokens, concurrency=str(m.concurrency),
                regime=m.regime, holdout=m.holdout, gated=_is_gated(m, hw), measured=meas, predicted=pred,
                error=pred / meas - 1, source=m.source,
            )
        )
    held = [r for r in rows if r.holdout and r.gated]
    stats = [_stats("all", held)]
    stats.append(_stats("max-load", [r for r in held if r.regime == "max-load"]))
    stats.append(_stats("fixed concurrency (1-256)", [r for r in held if r.regime != "max-load"]))
    stats.append(_stats("concurrency-1", [r for r in held if r.regime == "concurrency-1"]))
    moe_rows = [r for r in rows if not r.gated]
    moe = [_stats("llama-4 (all rows, not fitted)", moe_rows)]
    return CalibrationReport(calibration=cal, rows=rows, holdout=stats, moe=moe)


def calibration_markdown(report: CalibrationReport | None = None) -> str:
    rep = report or calibration_report()
    c = rep.calibration
    out = [
        "Fitted on %d rows (median |error| on the fit rows %.1f%%): eff_bw = %.3f, eff_flops = %.3f, "
        "eff_prefill = %.3f, fp4 factor = %.3f, ROCm factor = %.3f, step overhead = %.2f ms, all-reduce = %.1f us per layer, batch cap = %d."
        % (c.fit_rows, 100 * c.fit_median_abs_error, c.eff_bw, c.eff_flops, c.eff_prefill, c.fp4_factor, c.rocm_factor,
           1e3 * c.step_overhead_s, 1e6 * c.allreduce_s, c.max_batch),
        "",
        "Held-out rows (dense Llama 3.x, never used for fitting); the last line covers every Llama 4 row, reported only:",
        "",
        "| regime | rows | median abs error | worst pred/meas ratio | worst row |",
        "|---|---:|---:|---:|---|",
    ]
    for s in rep.holdout + rep.moe:
        out.append(f"| {s.regime} | {s.rows} | {100 * s.median_abs_error:.1f}% | {s.worst_ratio:.2f}x | {s.worst_row} |")
    out += [
        "",
        "| model | GPUs | prec | engine | in/out | conc | split | measured tok/s | predicted | error |",
        "|---|---|---|---|---|---|---|---:|---:|---:|",
    ]
    for r in rep.rows:
        split = ("hold-out" if r.holdout else "fit") if r.gated else "report only"
        out.append(
            f"| {r.model} | {r.gpus}x {r.gpu} | {r.precision} | {r.engine} | {r.input_tokens}/{r.output_tokens} | "
            f"{r.concurrency} | {split} | {r.measured:,.0f} | {r.predicted:,.0f} | {100 * r.error:+.0f}% |"
        )
    return "\n".join(out)


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
    label = f"{best.cloud} {best.pricing_model} {best.region} (effective {best.effective}): {best.source}"
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


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tokencost.selfhost")
    parser.add_argument("--calibration-table", action="store_true", help="print the predicted-vs-measured table (markdown)")
    args = parser.parse_args(argv)
    if args.calibration_table:
        print(calibration_markdown())
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
