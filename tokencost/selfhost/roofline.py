"""The roofline throughput model and its calibration on published measurements (see the package doc)."""

from __future__ import annotations

import functools
import math
import statistics
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from tokencost.errors import BadInputError

from .hardware import WEIGHT_BYTES, Gpu, Hardware, Measurement, ModelArch, load_hardware

KV_MEMORY_FRACTION = 0.90  # engines' default share of free memory for the KV cache (vLLM, TensorRT-LLM)
RUNTIME_RESERVE_GB = 2.0  # CUDA context, activations, workspace per GPU (assumption)
ALLOWED_GPU_COUNTS = (1, 2, 4, 8)
#: Prompt tokens per engine step under chunked prefill: vLLM's default token budget per step for the
#: OpenAI-compatible server (``max_num_batched_tokens``): 8192 on GPUs with at least 70 GiB that are not
#: A100s, 2048 on the others (vllm/engine/arg_utils.py, ``EngineArgs.get_batch_defaults``,
#: https://github.com/vllm-project/vllm/blob/main/vllm/engine/arg_utils.py).
PREFILL_CHUNK_TOKENS = 8192
PREFILL_CHUNK_TOKENS_SMALL_GPU = 2048
PREFILL_CHUNK_SOURCE = "https://github.com/vllm-project/vllm/blob/main/vllm/engine/arg_utils.py"


def prefill_chunk_tokens(gpu: Gpu) -> int:
    """vLLM's default prefill chunk (token budget per step) on this GPU (see ``PREFILL_CHUNK_TOKENS``)."""
    big = float(gpu.memory_gb) * 1e9 >= 70 * 2**30 and "a100" not in gpu.id
    return PREFILL_CHUNK_TOKENS if big else PREFILL_CHUNK_TOKENS_SMALL_GPU


# --------------------------------------------------------------------------------------------
# Physics
# --------------------------------------------------------------------------------------------


class Calibration(BaseModel):
    """Efficiency factors (fractions of datasheet peaks) and fixed overheads, fitted on measurements."""

    model_config = ConfigDict(frozen=True)
    eff_bw: float = Field(gt=0, le=1)
    eff_flops: float = Field(gt=0, le=1)
    eff_prefill: float = Field(gt=0, le=1)
    step_overhead_s: float = Field(ge=0)  # per decode step of an 80-layer model; scales with the layer count
    allreduce_s: float = Field(ge=0)  # fixed latency of one all-reduce (the bandwidth part comes from the GPU data)
    fp4_factor: float = Field(gt=0, le=1)
    rocm_compute_factor: float = Field(1.0, gt=0, le=1)  # ROCm GEMM/attention kernels: share of the compute peak
    rocm_overhead_factor: float = Field(1.0, gt=0)  # ROCm per-step overhead (launches, all-reduce latency) vs CUDA
    moe_gemm_eff: float = Field(1.0, gt=0, le=1)  # grouped-GEMM efficiency of routed experts (fitted on Llama 4 rows)
    moe_reserve_gb: float = Field(0.0, ge=0)  # per-GPU memory an MoE engine keeps from the KV cache (fitted likewise)
    moe_max_batch: int | None = Field(None, gt=0)  # the engine's batch cap for MoE models (None: max_batch)
    max_batch: int = Field(gt=0)
    fit_rows: int = 0
    fit_median_abs_error: float = 0.0
    moe_fit_rows: int = 0
    moe_fit_median_abs_error: float = 0.0


@dataclass(frozen=True)
class Deployment:
    """One replica: ``model`` on ``gpus`` x ``gpu`` (tensor parallel) at a weight and KV precision."""

    model: ModelArch
    gpu: Gpu
    gpus: int
    precision: str
    kv_precision: str

    @property
    def weights_bytes(self) -> float:
        """Weights in memory: FP8/FP4 checkpoints keep the embedding and output head in BF16."""
        m = self.model
        return (m.params_total - m.embedding_params) * WEIGHT_BYTES[self.precision] + m.embedding_params * 2.0

    @property
    def weights_gb_per_gpu(self) -> float:
        return self.weights_bytes / self.gpus / 1e9

    def kv_gb_per_gpu_with(self, extra_reserve_gb: float = 0.0) -> float:
        free = float(self.gpu.memory_gb) - self.weights_gb_per_gpu - RUNTIME_RESERVE_GB - extra_reserve_gb
        return max(0.0, free * KV_MEMORY_FRACTION)

    @property
    def kv_gb_per_gpu(self) -> float:
        return self.kv_gb_per_gpu_with()

    @property
    def kv_capacity_tokens(self) -> int:
        return self.kv_tokens_with()

    def kv_tokens_with(self, extra_reserve_gb: float = 0.0) -> int:
        per_gpu_per_token = self.model.kv_bytes_per_token(self.kv_precision) / self.gpus
        return int(self.kv_gb_per_gpu_with(extra_reserve_gb) * 1e9 // per_gpu_per_token)

    def max_concurrency(self, prompt: int, response: int) -> int:
        """Sequences of ``prompt + response`` tokens the KV cache holds at once (0: not even one)."""
        return self.kv_capacity_tokens // (prompt + response)

    def batch_limit(self, prompt: int, response: int, cal: Calibration) -> int:
        """Sequences that run at once: the KV cache's limit and the engine's batch cap.  MoE models keep
        the fitted expert workspace out of the KV cache and have their own fitted cap (at least one
        sequence whenever one fits without the workspace)."""
        if not self.model.is_moe:
            return min(self.max_concurrency(prompt, response), cal.max_batch)
        kv = self.kv_tokens_with(cal.moe_reserve_gb) // (prompt + response)
        kv = max(kv, min(1, self.max_concurrency(prompt, response)))
        return min(kv, cal.moe_max_batch or cal.max_batch)


def expected_experts(num_experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts one MoE layer reads for ``tokens`` tokens, each routed to ``top_k`` of
    ``num_experts`` experts (uniform routing): ``E x (1 - (1 - k/E)^B)``."""
    return num_experts * (1.0 - (1.0 - top_k / num_experts) ** max(tokens, 0.0))


def weight_bytes_touched(dep: Deployment, tokens: float) -> float:
    """Weight bytes one forward pass over ``tokens`` tokens reads: all of a dense model; for a
    mixture-of-experts model the always-active weights plus the expected distinct routed experts per
    MoE layer.  With expert parallelism each GPU holds ``E / n`` experts and reads its share of the
    touched ones, so the per-GPU figure is this divided by ``n`` (as for tensor parallelism)."""
    m = dep.model
    head = m.embedding_params / 2.0 * 2.0  # the output head, BF16, read every pass; the input embedding is a lookup
    wb = WEIGHT_BYTES[dep.precision]
    if not m.is_moe:
        return (m.params_total - m.embedding_params) * wb + head
    touched = expected_experts(m.num_experts or 1, m.experts_per_token, tokens)
    return (m.always_active_params - m.embedding_params + m.moe_layers * touched * m.expert_params_per_layer) * wb + head


def routed_params_active(m: ModelArch) -> float:
    """Routed-expert parameters one token runs through (0 for a dense model)."""
    return m.moe_layers * m.experts_per_token * m.expert_params_per_layer


def compute_time(dep: Deployment, tokens: float, attention_flops: float, eff: float, cal: Calibration) -> float:
    """Per-GPU seconds for the FLOPs of ``tokens`` tokens plus ``attention_flops``: the routed experts'
    grouped GEMMs run at ``moe_gemm_eff`` of the dense efficiency (many small per-expert GEMMs)."""
    m = dep.model
    peak = dep.gpu.peak_tflops(dep.precision) * 1e12 * eff * compute_factor(dep, cal) * dep.gpus
    routed = routed_params_active(m)
    dense_flops = 2.0 * (m.params_active - routed) * tokens + attention_flops
    return dense_flops / peak + 2.0 * routed * tokens / (peak * cal.moe_gemm_eff)


def allreduce_time(dep: Deployment, tokens: float, cal: Calibration) -> float:
    """Tensor-parallel all-reduces of one forward pass over ``tokens`` tokens: two per layer, each a fixed
    latency plus a ring all-reduce of ``tokens x dim`` BF16 activations over the GPUs' interconnect
    (half the bidirectional figure each way: NVLink, Infinity Fabric, or PCIe where there is no NVLink)."""
    n = dep.gpus
    if n == 1:
        return 0.0
    message = tokens * dep.model.dim * 2.0
    per = cal.allreduce_s * overhead_factor(dep, cal) + 2.0 * (n - 1) / n * message / (float(dep.gpu.interconnect_gbps) / 2.0 * 1e9)
    return 2 * dep.model.n_layers * per


def is_rocm(gpu: Gpu) -> bool:
    """AMD Instinct GPUs (served by ROCm kernels, which get their own fitted compute and overhead factors)."""
    return _is_amd_name(gpu.name)


@functools.lru_cache(maxsize=64)
def _is_amd_name(name: str) -> bool:
    return name.upper().startswith("AMD")


def compute_factor(dep: Deployment, cal: Calibration) -> float:
    """Kernel maturity, one fitted factor each: FP4 tensor-core kernels reach a smaller share of their
    (doubled) peak, and so do the ROCm (AMD Instinct) GEMM/attention kernels of vLLM of their datasheet peak."""
    f = cal.fp4_factor if dep.precision == "fp4" and dep.gpu.has_native("fp4") else 1.0
    return f * (cal.rocm_compute_factor if is_rocm(dep.gpu) else 1.0)


def overhead_factor(dep: Deployment, cal: Calibration) -> float:
    """ROCm's per-step overhead (kernel launches, synchronisation, all-reduce latency) relative to CUDA's."""
    return cal.rocm_overhead_factor if is_rocm(dep.gpu) else 1.0


def prefill_prompts_per_pass(dep: Deployment, prompt: int, running: int) -> int:
    """Prompts prefilled together in one forward pass: engines batch prefills up to their token budget
    (vLLM's chunk on this GPU), and at most the running requests' prompts are waiting at once."""
    return max(1, min(running, prefill_chunk_tokens(dep.gpu) // max(prompt, 1)))


def prefill_time(dep: Deployment, prompt: int, cal: Calibration, running: int = 1) -> float:
    """Seconds of GPU time one ``prompt``-token request's prefill costs: compute-bound, never faster than its
    share of one weight read of a pass that prefills ``prefill_prompts_per_pass`` prompts together."""
    m = dep.model
    attention = 2.0 * m.n_layers * m.n_heads * m.hd * prompt * prompt
    t_compute = compute_time(dep, prompt, attention, cal.eff_prefill, cal)
    k = prefill_prompts_per_pass(dep, prompt, running)
    t_memory = weight_bytes_touched(dep, prompt * k) / k / dep.gpus / (float(dep.gpu.memory_bandwidth_gbps) * 1e9 * cal.eff_bw)
    return max(t_compute, t_memory) + allreduce_time(dep, prompt, cal)


def step_time(dep: Deployment, batch: int, context: float, cal: Calibration) -> float:
    """Seconds for one decode step of ``batch`` sequences at average ``context`` tokens (roofline + overheads)."""
    m = dep.model
    n = dep.gpus
    bytes_ = (weight_bytes_touched(dep, batch) + batch * context * m.kv_bytes_per_token(dep.kv_precision)) / n
    t_memory = bytes_ / (float(dep.gpu.memory_bandwidth_gbps) * 1e9 * cal.eff_bw)
    t_compute = compute_time(dep, batch, 4.0 * m.n_layers * m.n_heads * m.hd * context * batch, cal.eff_flops, cal)
    overhead = cal.step_overhead_s * m.n_layers / 80 * overhead_factor(dep, cal)
    return max(t_memory, t_compute) + overhead + allreduce_time(dep, batch, cal)


@dataclass(frozen=True)
class Load:
    """Throughput and latency of one replica with ``concurrency`` users in flight (closed loop: each
    user sends its next request when the last one finishes, as serving benchmarks do)."""

    concurrency: int  # users in flight
    running: int  # sequences in the batch (at most what the KV cache and the engine hold)
    queued: int  # users waiting for a batch slot
    prefill_s: float  # one request's prefill alone
    step_s: float  # one decode step of the running batch
    output_tokens_per_s: float
    requests_per_s: float
    itl_s: float  # mean inter-token latency, prefill stalls of other requests included
    ttft_s: float  # mean time to first token: queue + waiting for other prefills + own prefill
    queue_wait_s: float
    prefill_wait_s: float

    @property
    def per_user_output_tokens_per_s(self) -> float:
        return 1.0 / self.itl_s


def load(dep: Deployment, prompt: int, response: int, concurrency: int, cal: Calibration,
         prefill_chunk: int | None = None) -> Load:
    """The one throughput-and-latency formula (see docs/selfhost.md, "Latency at a load").

    ``B`` running sequences each decode one token per step; every request also needs its prefill,
    which continuous batching interleaves with the decode steps.  Per running request the mean time
    between its tokens is therefore ``ITL = t_step(B) + B x t_prefill / R`` and the replica delivers
    ``B / ITL`` output tokens/s (= ``B R / (B t_prefill + R t_step)``).  Users beyond ``B`` queue for
    a slot (Little's law: ``(C - B) / requests_per_s``); a new request then waits for the prefills
    ahead of it (M/D/1 with prefill load ``rho = requests_per_s x t_prefill``) and runs its own prefill
    in ``prefill_chunk``-token chunks (default: vLLM's on this GPU), each sharing a step with the running
    batch's decode.
    """
    if concurrency < 1:
        raise BadInputError(f"concurrency must be a positive whole number, got {concurrency!r}")
    limit = dep.batch_limit(prompt, response, cal)
    if limit < 1:
        raise BadInputError(f"{dep.model.id} at {dep.precision} does not hold one {prompt + response}-token sequence "
                            f"on {dep.gpus} x {dep.gpu.id}")
    running = min(concurrency, limit)
    t_pre = prefill_time(dep, prompt, cal, running) if prompt else 0.0
    t_step = step_time(dep, running, prompt + response / 2.0, cal)
    itl = t_step + running * t_pre / response
    tps = running / itl
    rps = tps / response
    queued = concurrency - running
    queue_wait = queued / rps
    rho = min(rps * t_pre, 0.999)
    prefill_wait = rho * t_pre / (2.0 * (1.0 - rho)) if running > 1 else 0.0
    chunk = prefill_chunk or prefill_chunk_tokens(dep.gpu)
    chunks = math.ceil(prompt / chunk) if prompt else 1
    t_own = prefill_time(dep, prompt, cal) if prompt else 0.0  # its own prefill pass, not an amortized share
    own = t_own + (chunks * step_time(dep, running - 1, prompt + response / 2.0, cal) if running > 1 else 0.0)
    if not prompt:
        own = t_step
    return Load(concurrency=concurrency, running=running, queued=queued, prefill_s=t_pre, step_s=t_step,
                output_tokens_per_s=tps, requests_per_s=rps, itl_s=itl, ttft_s=queue_wait + prefill_wait + own,
                queue_wait_s=queue_wait, prefill_wait_s=prefill_wait)


def predict_output_tokens_per_s(m: Measurement, cal: Calibration, hw: Hardware | None = None) -> float:
    """Predicted output tokens/s for one measurement row's configuration."""
    hw = hw or load_hardware()
    dep = Deployment(model=hw.models[m.model], gpu=hw.gpus[m.gpu], gpus=m.gpus, precision=m.precision, kv_precision=m.kv_precision)
    limit = max(1, dep.batch_limit(m.input_tokens, m.output_tokens, cal))
    running = limit if m.concurrency == "max" else min(m.concurrency, limit)
    # load()'s throughput (B / ITL) without its latency terms: the calibration's inner loop
    t_pre = prefill_time(dep, m.input_tokens, cal, running)
    t_step = step_time(dep, running, m.input_tokens + m.output_tokens / 2.0, cal)
    return running / (t_step + running * t_pre / m.output_tokens)


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
    "rocm_compute_factor": (0.1, 1.0, False),
    "rocm_overhead_factor": (0.3, 5.0, True),
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


def calibrate(rows: list[Measurement] | None = None, hw: Hardware | None = None,
              moe_rows: list[Measurement] | None = None) -> Calibration:
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
            ([a, b, c, d, e, 0.6, 0.6, 0.5] for a in (0.4, 0.8) for b in (0.3, 0.7) for c in (0.3, 0.7) for d in (0.3, 0.7) for e in (0.3, 0.7)),
            key=lambda u: _loss(make(u, cap), rows, hw),
        )
        u = _nelder_mead(lambda x, cap=cap: _loss(make(x, cap), rows, hw), start)
        cal = make(u, cap)
        loss = _loss(cal, rows, hw)
        if best is None or loss < best[0]:
            best = (loss, cal)
    if best is None:  # _BATCH_CAPS is never empty
        raise BadInputError("calibration found no candidate")
    cal = best[1]
    med = statistics.median(abs(predict_output_tokens_per_s(r, cal, hw) / float(r.output_tokens_per_s) - 1) for r in rows)
    cal = cal.model_copy(update={"fit_rows": len(rows), "fit_median_abs_error": med})
    return calibrate_moe(cal, hw=hw) if moe_rows is None else calibrate_moe(cal, moe_rows, hw)


_MOE_EFF = tuple(round(0.1 + 0.05 * i, 2) for i in range(19))  # grouped-GEMM efficiency 0.10 .. 1.00
_MOE_RESERVE_GB = tuple(float(2 * i) for i in range(21))  # 0 .. 40 GB per GPU
_MOE_CAPS = (1024, 2048, 4096, 8192)


def calibrate_moe(cal: Calibration, rows: list[Measurement] | None = None, hw: Hardware | None = None) -> Calibration:
    """Fit what mixture-of-experts rows identify and dense rows cannot, everything else held at ``cal``
    (the dense fit): the routed experts' grouped-GEMM efficiency, the engine's extra per-GPU MoE
    workspace (memory not available to the KV cache) and its batch cap for MoE models.  A deterministic
    grid search.  ``rows`` defaults to the non-held-out Llama 4 rows; with none, ``cal`` is returned."""
    hw = hw or load_hardware()
    if rows is None:
        rows = [m for m in hw.measurements if not m.holdout and not _is_gated(m, hw)]
    if not rows:
        return cal
    grid = (cal.model_copy(update={"moe_gemm_eff": e, "moe_reserve_gb": r, "moe_max_batch": c})
            for e in _MOE_EFF for r in _MOE_RESERVE_GB for c in _MOE_CAPS)
    best = min(grid, key=lambda c: _loss(c, rows, hw))
    med = statistics.median(abs(predict_output_tokens_per_s(r, best, hw) / float(r.output_tokens_per_s) - 1) for r in rows)
    return best.model_copy(update={"moe_fit_rows": len(rows), "moe_fit_median_abs_error": med})


#: The result of ``calibrate()`` on the shipped measurements, stored so that estimates need no refit.
#: tests/test_selfhost.py refits and fails if these drift from what the data gives.
CALIBRATED = Calibration(
    eff_bw=0.8455,
    eff_flops=0.5653,
    eff_prefill=0.5842,
    step_overhead_s=0.008233,
    allreduce_s=3.974e-06,
    fp4_factor=0.5619,
    rocm_compute_factor=0.3552,
    rocm_overhead_factor=0.8773,
    moe_gemm_eff=0.25,
    moe_reserve_gb=22.0,
    moe_max_batch=2048,
    max_batch=256,
    fit_rows=74,
    fit_median_abs_error=0.0762,
    moe_fit_rows=35,
    moe_fit_median_abs_error=0.1988,
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
    moe = [_stats("llama-4 held-out rows (MoE fit never saw them)", [r for r in moe_rows if r.holdout]),
           _stats("llama-4 all rows", moe_rows)]
    return CalibrationReport(calibration=cal, rows=rows, holdout=stats, moe=moe)


def calibration_markdown(report: CalibrationReport | None = None) -> str:
    rep = report or calibration_report()
    c = rep.calibration
    out = [
        "Fitted on %d dense rows (median |error| on the fit rows %.1f%%): eff_bw = %.3f, eff_flops = %.3f, "
        "eff_prefill = %.3f, fp4 factor = %.3f, ROCm compute factor = %.3f, ROCm overhead factor = %.2f, "
        "step overhead = %.2f ms per 80 layers, all-reduce latency = %.2f us, batch cap = %d. "
        "Then, with those held, on %d Llama 4 rows (median |error| %.1f%%): grouped-GEMM efficiency = %.2f, "
        "MoE workspace = %g GB per GPU, MoE batch cap = %d."
        % (c.fit_rows, 100 * c.fit_median_abs_error, c.eff_bw, c.eff_flops, c.eff_prefill, c.fp4_factor,
           c.rocm_compute_factor, c.rocm_overhead_factor, 1e3 * c.step_overhead_s, 1e6 * c.allreduce_s, c.max_batch,
           c.moe_fit_rows, 100 * c.moe_fit_median_abs_error, c.moe_gemm_eff, c.moe_reserve_gb, c.moe_max_batch or c.max_batch),
        "",
        "Held-out rows (dense Llama 3.x, never used for fitting); the last two lines cover the Llama 4 rows:",
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
        split = ("hold-out" if r.holdout else "fit") if r.gated else ("MoE hold-out" if r.holdout else "MoE fit")
        out.append(
            f"| {r.model} | {r.gpus}x {r.gpu} | {r.precision} | {r.engine} | {r.input_tokens}/{r.output_tokens} | "
            f"{r.concurrency} | {split} | {r.measured:,.0f} | {r.predicted:,.0f} | {100 * r.error:+.0f}% |"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Validation on what was not fitted: latency columns, and each publisher left out in turn
# --------------------------------------------------------------------------------------------


def predict_load(m: Measurement, cal: Calibration, hw: Hardware | None = None) -> Load:
    """The model's throughput and latency for one measurement row at its (numeric) concurrency."""
    hw = hw or load_hardware()
    if m.concurrency == "max":
        raise BadInputError("a max-load row has no concurrency to predict latency at")
    dep = Deployment(model=hw.models[m.model], gpu=hw.gpus[m.gpu], gpus=m.gpus, precision=m.precision, kv_precision=m.kv_precision)
    return load(dep, m.input_tokens, m.output_tokens, m.concurrency, cal)


class LatencyRow(BaseModel):
    row: str
    concurrency: int
    measured_ttft_s: float
    predicted_ttft_s: float
    measured_itl_s: float
    predicted_itl_s: float
    source: str

    @property
    def ttft_ratio(self) -> float:
        """max(pred/meas, meas/pred) for TTFT."""
        r = self.predicted_ttft_s / self.measured_ttft_s
        return max(r, 1 / r)

    @property
    def itl_error(self) -> float:
        return self.predicted_itl_s / self.measured_itl_s - 1


def latency_report(cal: Calibration | None = None, hw: Hardware | None = None) -> list[LatencyRow]:
    """Predicted vs measured TTFT and ITL on every row that reports them (latency is never fitted)."""
    hw = hw or load_hardware()
    cal = cal or default_calibration()
    out = []
    for m in hw.measurements:
        if m.ttft_s is None or m.itl_s is None or m.concurrency == "max":
            continue
        ld = predict_load(m, cal, hw)
        out.append(LatencyRow(row=f"{m.model} {m.gpus}x{m.gpu} {m.precision} {m.input_tokens}/{m.output_tokens} ({m.engine})",
                              concurrency=m.concurrency, measured_ttft_s=float(m.ttft_s), predicted_ttft_s=ld.ttft_s,
                              measured_itl_s=float(m.itl_s), predicted_itl_s=ld.itl_s, source=m.source))
    return out


class PublisherHoldout(BaseModel):
    """One publisher's rows predicted by a calibration fitted without any of them."""

    publisher: str
    rows: int
    fit_rows: int
    median_abs_error: float
    worst_ratio: float
    worst_row: str
    errors: list[float]  # predicted / measured - 1, row by row


def publisher_holdout_report(hw: Hardware | None = None) -> list[PublisherHoldout]:
    """Leave-one-publisher-out: for each publisher of dense Llama 3.x rows, refit on every other
    publisher's rows (held-out flags ignored) and report the error on that publisher's rows.  A
    publisher whose rows are left out can only be predicted from the others' engines and setups:
    this is the error to expect on a setup the data does not cover.  Slow: one fit per publisher."""
    hw = hw or load_hardware()
    gated = [m for m in hw.measurements if _is_gated(m, hw)]
    out = []
    for pub in sorted({m.publisher for m in gated}):
        test = [m for m in gated if m.publisher == pub]
        train = [m for m in gated if m.publisher != pub]
        cal = calibrate(train, hw, moe_rows=[])  # dense rows only are predicted: no MoE fit needed
        rows = []
        for m in test:
            pred = predict_output_tokens_per_s(m, cal, hw)
            rows.append((pred / float(m.output_tokens_per_s) - 1, m))
        worst_err, worst = max(rows, key=lambda r: max(1 + r[0], 1 / (1 + r[0])))
        out.append(PublisherHoldout(
            publisher=pub, rows=len(test), fit_rows=len(train),
            median_abs_error=statistics.median(abs(e) for e, _ in rows),
            worst_ratio=max(1 + worst_err, 1 / (1 + worst_err)),
            worst_row=f"{worst.model} {worst.gpus}x{worst.gpu} {worst.precision} {worst.input_tokens}/{worst.output_tokens} "
                      f"c={worst.concurrency}",
            errors=[e for e, _ in rows]))
    return out


def best_tokens_per_gpu_at_user_speed(model: ModelArch, gpu: Gpu, precision: str, kv_precision: str, prompt: int,
                                      response: int, per_user_tps: float, cal: Calibration) -> tuple[float, int, int]:
    """The most output tokens/s per GPU any tensor-parallel size (1, 2, 4, 8) and concurrency reaches while
    each user gets at least ``per_user_tps`` output tokens/s (1 / ITL): ``(tokens/s per GPU, GPUs,
    concurrency)``, or ``(0.0, 0, 0)`` when no configuration is that fast."""
    best = (0.0, 0, 0)
    for n in ALLOWED_GPU_COUNTS:
        dep = Deployment(model=model, gpu=gpu, gpus=n, precision=precision, kv_precision=kv_precision)
        limit = dep.batch_limit(prompt, response, cal)
        if limit < 1 or 1.0 / load(dep, prompt, response, 1, cal).itl_s < per_user_tps:
            continue
        lo, hi = 1, limit  # per-user speed falls as the concurrency rises: the largest that is fast enough
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if 1.0 / load(dep, prompt, response, mid, cal).itl_s >= per_user_tps:
                lo = mid
            else:
                hi = mid - 1
        per_gpu = load(dep, prompt, response, lo, cal).output_tokens_per_s / n
        if per_gpu > best[0]:
            best = (per_gpu, n, lo)
    return best


class FrontierRow(BaseModel):
    row: str
    per_user_tps: float
    measured_per_gpu: float
    predicted_per_gpu: float
    gpus: int
    concurrency: int
    source: str

    @property
    def ratio(self) -> float:
        """max(pred/meas, meas/pred); infinite when the model reaches no configuration that fast."""
        if self.predicted_per_gpu <= 0:
            return float("inf")
        r = self.predicted_per_gpu / self.measured_per_gpu
        return max(r, 1 / r)


def frontier_report(cal: Calibration | None = None, hw: Hardware | None = None) -> list[FrontierRow]:
    """Predicted vs published tokens/s per GPU at a per-user speed (rows never fitted; their publisher is
    not among the fitted ones, so this is a leave-one-publisher-out check too)."""
    hw = hw or load_hardware()
    cal = cal or default_calibration()
    out = []
    for f in hw.frontier_measurements:
        per_gpu, n, c = best_tokens_per_gpu_at_user_speed(hw.models[f.model], hw.gpus[f.gpu], f.precision, f.kv_precision,
                                                          f.input_tokens, f.output_tokens, float(f.per_user_output_tokens_per_s), cal)
        out.append(FrontierRow(row=f"{f.model} {f.gpu} {f.precision} {f.input_tokens}/{f.output_tokens} ({f.publisher})",
                               per_user_tps=float(f.per_user_output_tokens_per_s), measured_per_gpu=float(f.output_tokens_per_s_per_gpu),
                               predicted_per_gpu=per_gpu, gpus=n, concurrency=c, source=f.source))
    return out


def validation_markdown(latency: list[LatencyRow], publishers: list[PublisherHoldout],
                        frontier: list[FrontierRow] | None = None) -> str:
    """The tables docs/selfhost.md shows for the latency check and the leave-one-publisher-out check."""
    out = ["| row | conc | TTFT measured | TTFT predicted | ratio | ITL measured | ITL predicted | error |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in latency:
        out.append(f"| {r.row} | {r.concurrency} | {r.measured_ttft_s:.3f} s | {r.predicted_ttft_s:.3f} s | {r.ttft_ratio:.2f}x | "
                   f"{1e3 * r.measured_itl_s:.1f} ms | {1e3 * r.predicted_itl_s:.1f} ms | {100 * r.itl_error:+.0f}% |")
    out += ["", "| publisher left out | its rows | fitted on | median abs error | worst pred/meas ratio | worst row |",
            "|---|---:|---:|---:|---:|---|"]
    for p in publishers:
        out.append(f"| {p.publisher} | {p.rows} | {p.fit_rows} | {100 * p.median_abs_error:.1f}% | {p.worst_ratio:.2f}x | {p.worst_row} |")
    allerr = [abs(e) for p in publishers for e in p.errors]
    off2 = sum(1 for p in publishers for e in p.errors if max(1 + e, 1 / (1 + e)) > 2)
    out.append(f"| all rows, each predicted without its publisher | {len(allerr)} | | "
               f"{100 * statistics.median(allerr):.1f}% | {max(p.worst_ratio for p in publishers):.2f}x | {off2} rows off by more than 2x |")
    if frontier:
        out += ["", "| per-user-speed row | tok/s per user | measured tok/s per GPU | predicted | model's config | ratio |",
                "|---|---:|---:|---:|---|---:|"]
        for f in frontier:
            config = f"TP{f.gpus}, {f.concurrency} users" if f.gpus else "none that fast"
            ratio = f"{f.ratio:.2f}x" if math.isfinite(f.ratio) else "not reached"
            out.append(f"| {f.row} | {f.per_user_tps:g} | {f.measured_per_gpu:,.0f} | {f.predicted_per_gpu:,.0f} | {config} | {ratio} |")
    return "\n".join(out)
