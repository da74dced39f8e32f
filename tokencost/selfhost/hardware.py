"""Hardware data: GPUs, Llama architectures, GPU prices, licences, on-prem defaults, measurements.

Every number comes from ``pricing/hardware/*.toml`` with its ``source`` and ``checked`` date.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tokencost.errors import BadInputError, PriceFileError, UnknownModelError
from tokencost.registry import read_toml_model, shipped_pricing_dir
from tokencost.schema import NonNegative, Strict, Url

HARDWARE_DIR = shipped_pricing_dir() / "hardware"

WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}
KV_BYTES = {"bf16": 2.0, "fp8": 1.0}

Precision = Literal["bf16", "fp8", "fp4"]
KvPrecision = Literal["bf16", "fp8"]
Positive = Annotated[Decimal, Field(gt=0)]
#: Where a GPU price comes from: list price on demand, a commitment (reserved, savings plan, capacity
#: block), interruptible spot capacity, or a community/marketplace host (third-party machines).
PriceTier = Literal["on-demand", "reserved", "spot", "community"]
PRICE_TIERS = ("on-demand", "reserved", "spot", "community", "any")


# --------------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------------


class Gpu(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    name: str
    aliases: list[str] = []
    memory_gb: Positive
    memory_bandwidth_gbps: Positive
    bf16_tflops: Positive
    fp8_tflops: Positive | None = None
    fp4_tflops: Positive | None = None
    tdp_w: Positive
    interconnect: Literal["nvlink", "infinity-fabric", "pcie"]
    interconnect_gbps: Positive  # GPU-to-GPU, per GPU, both directions together (as datasheets quote it)
    source: Url
    checked: dt.date
    note: str = ""

    def peak_tflops(self, precision: str) -> float:
        """Peak dense TFLOPS for the precision, falling back to BF16 (weight-only quantization)."""
        value = {"fp8": self.fp8_tflops, "fp4": self.fp4_tflops}.get(precision)
        return float(value if value is not None else self.bf16_tflops)

    def has_native(self, precision: str) -> bool:
        return precision == "bf16" or {"fp8": self.fp8_tflops, "fp4": self.fp4_tflops}[precision] is not None


class ModelArch(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    aliases: list[str] = []
    tokenizer: Literal["llama3", "llama4"]
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
    num_experts: Annotated[int, Field(gt=1)] | None = None  # routed experts per MoE layer
    experts_per_token: Annotated[int, Field(gt=0)] = 1  # top-k routing
    moe_layer_step: Annotated[int, Field(gt=0)] = 1  # every n-th layer is MoE (HF interleave_moe_layer_step)
    expert_ffn_hidden: Annotated[int, Field(gt=0)] | None = None  # one routed expert's SwiGLU width
    shared_expert_ffn_hidden: Annotated[int, Field(ge=0)] = 0  # the shared expert every token also runs (0: none)
    dense_ffn_hidden: Annotated[int, Field(gt=0)] | None = None  # the FFN width of the non-MoE layers
    source: Url
    checked: dt.date
    note: str = ""

    @model_validator(mode="after")
    def _dense_or_moe(self) -> ModelArch:
        if self.num_experts is None:
            if self.ffn_dim_multiplier is None or self.multiple_of is None:
                raise ValueError(f"{self.id}: a dense model needs ffn_dim_multiplier and multiple_of")
        else:
            if self.expert_ffn_hidden is None:
                raise ValueError(f"{self.id}: a mixture-of-experts model needs expert_ffn_hidden")
            if self.moe_layer_step > 1 and self.dense_ffn_hidden is None:
                raise ValueError(f"{self.id}: interleaved dense layers need dense_ffn_hidden")
            if self.experts_per_token > self.num_experts:
                raise ValueError(f"{self.id}: experts_per_token exceeds num_experts")
        return self

    @property
    def is_moe(self) -> bool:
        return self.num_experts is not None

    @functools.cached_property
    def hd(self) -> int:
        return self.head_dim or self.dim // self.n_heads

    @functools.cached_property
    def ffn_hidden(self) -> int:
        """Meta's formula (llama_models/llama3/model.py, FeedForward)."""
        if self.ffn_dim_multiplier is None or self.multiple_of is None:  # the validator requires both for dense models
            raise PriceFileError([f"models.toml: {self.id}: no FFN shape (ffn_dim_multiplier, multiple_of)"])
        hidden = int(2 * (4 * self.dim) / 3)
        hidden = int(float(self.ffn_dim_multiplier) * hidden)
        return self.multiple_of * ((hidden + self.multiple_of - 1) // self.multiple_of)

    @functools.cached_property
    def embedding_params(self) -> float:
        """Input embedding + output head (untied in Llama 3/4): kept in BF16 by FP8/FP4 checkpoints."""
        return 2.0 * self.vocab_size * self.dim

    @functools.cached_property
    def attention_params_per_layer(self) -> float:
        d, kv = self.dim, self.n_kv_heads * self.hd
        return 2 * d * self.n_heads * self.hd + 2 * d * kv

    @property
    def moe_layers(self) -> int:
        """Layers with routed experts (all of them for Scout, every second one for Maverick)."""
        return self.n_layers // self.moe_layer_step if self.is_moe else 0

    @functools.cached_property
    def expert_params_per_layer(self) -> float:
        """One routed expert of one MoE layer (a SwiGLU FFN: three dim x width matrices)."""
        return 3.0 * self.dim * self.expert_ffn_hidden if self.expert_ffn_hidden else 0.0

    @functools.cached_property
    def always_active_params(self) -> float:
        """Parameters every token uses: attention, dense FFNs, shared experts, router, embeddings and head."""
        if not self.is_moe:
            return self.params_total
        d = self.dim
        dense_layers = self.n_layers - self.moe_layers
        moe_fixed = 3 * d * self.shared_expert_ffn_hidden + d * (self.num_experts or 0)
        return (self.n_layers * self.attention_params_per_layer + dense_layers * 3 * d * (self.dense_ffn_hidden or 0)
                + self.moe_layers * moe_fixed + self.embedding_params)

    @functools.cached_property
    def params_total(self) -> float:
        """From the architecture (Meta's FFN formula for dense models; the expert layout for MoE models).
        ``params_total_b`` is the model card's rounded figure, checked against this in the tests."""
        if self.is_moe:
            return self.always_active_params + self.moe_layers * (self.num_experts or 0) * self.expert_params_per_layer
        per_layer = self.attention_params_per_layer + 3 * self.dim * self.ffn_hidden
        return self.n_layers * per_layer + self.embedding_params

    @functools.cached_property
    def params_active(self) -> float:
        """Parameters one token runs through (shared + top-k routed experts for MoE models)."""
        if self.is_moe:
            return self.always_active_params + self.moe_layers * self.experts_per_token * self.expert_params_per_layer
        return self.params_total

    def kv_bytes_per_token(self, kv_precision: str) -> float:
        return 2.0 * self.n_layers * self.n_kv_heads * self.hd * KV_BYTES[kv_precision]


class CloudPrice(Strict):
    cloud: str
    gpu: str
    instance: str | None = None
    tier: PriceTier
    sla: bool  # the provider commits to availability (a data-centre SLA); community hosts do not
    region: str
    price_per_gpu_hour: NonNegative
    effective: dt.date
    source: Url
    checked: dt.date
    note: str = ""


class Licence(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    name: str
    aliases: list[str] = []
    price_per_gpu_year: NonNegative
    currency: Literal["USD"]
    source: Url
    checked: dt.date
    note: str = ""


class Measurement(Strict):
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
    ttft_s: Positive | None = None  # mean time to first token, where the source reports it (never fitted)
    itl_s: Positive | None = None  # mean inter-token latency, likewise
    publisher: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]  # who measured it (leave-one-out unit)
    holdout: bool
    source: Url
    checked: dt.date
    note: str = ""

    @property
    def regime(self) -> str:
        if self.concurrency == "max":
            return "max-load"
        return "concurrency-1" if self.concurrency == 1 else "fixed-concurrency"


class FrontierMeasurement(Strict):
    """A per-user-speed result (InferenceMAX style): the output tokens/s per GPU the publisher's best
    configuration (any parallelism and concurrency) reaches while each user gets at least
    ``per_user_output_tokens_per_s``.  Never fitted: the model is validated on it."""

    model: str
    gpu: str
    precision: Precision
    kv_precision: KvPrecision
    engine: str
    input_tokens: Annotated[int, Field(gt=0)]
    output_tokens: Annotated[int, Field(gt=0)]
    per_user_output_tokens_per_s: Positive
    output_tokens_per_s_per_gpu: Positive
    publisher: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    source: Url
    checked: dt.date
    note: str = ""


class _GpuFile(Strict):
    schema_: Literal[1] = Field(alias="schema")
    gpu: list[Gpu]


class _ModelFile(Strict):
    schema_: Literal[1] = Field(alias="schema")
    model: list[ModelArch]


class _CloudFile(Strict):
    schema_: Literal[1] = Field(alias="schema")
    price: list[CloudPrice] = []


class _LicenceFile(Strict):
    schema_: Literal[1] = Field(alias="schema")
    licence: list[Licence] = []


class _MeasurementFile(Strict):
    schema_: Literal[1] = Field(alias="schema")
    measurement: list[Measurement]
    frontier: list[FrontierMeasurement] = []


class OnPremDefault(Strict):
    """A sourced default for an on-premises input (e.g. PUE), used when the user gives none."""

    name: str
    value: Annotated[Decimal, Field(ge=0)]
    unit: str
    source: Url
    checked: dt.date
    note: str = ""


class _OnPremFile(Strict):
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
    def _measurement_file(self) -> _MeasurementFile:
        return _load(self.directory / "measurements.toml", _MeasurementFile)  # type: ignore[return-value]

    @functools.cached_property
    def frontier_measurements(self) -> list[FrontierMeasurement]:
        """Per-user-speed results (tokens/s per GPU at a tokens/s-per-user target), never fitted."""
        rows = self._measurement_file.frontier
        self._check_names(rows)
        return rows

    def _check_names(self, rows: list) -> None:
        problems = [f"measurements.toml: unknown {kind} {name!r}" for m in rows
                    for kind, name, table in (("model", m.model, self.models), ("gpu", m.gpu, self.gpus))
                    if name not in table]
        if problems:
            raise PriceFileError(problems)

    @functools.cached_property
    def measurements(self) -> list[Measurement]:
        """The published measurements (parsed on first use: only calibration needs them)."""
        rows = self._measurement_file.measurement
        problems = [f"measurements.toml: unknown {kind} {name!r}" for m in rows
                    for kind, name, table in (("model", m.model, self.models), ("gpu", m.gpu, self.gpus))
                    if name not in table]
        if problems:
            raise PriceFileError(problems)
        return rows


def _load(path: Path, cls: type[Strict]) -> Strict:
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


def normalize_name(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def _resolve(name: str, table: dict, kind: str, error: type[BadInputError]):
    key = normalize_name(name)
    if not key:
        raise error(f"empty {kind} name")
    names: dict[str, str] = {}
    for ident, item in table.items():
        names[ident] = ident
        for alias in item.aliases:
            names[normalize_name(alias)] = ident
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
