"""Self-hosted Llama: throughput from a calibrated roofline model, cost per token, break-even.

Data (every number with ``source`` and ``checked``) lives in ``pricing/hardware/*.toml``:
``gpus.toml`` (memory, bandwidth, dense TFLOPS, power), ``models.toml`` (Llama architectures),
``clouds.toml`` ($/GPU-hour where a provider page could be read) and ``measurements.toml``
(published measured throughputs, the calibration and validation set).

The model
---------
* Weights take ``params x bytes/param / gpus`` per GPU (tensor parallel; embedding and output head in
  BF16 in FP8/FP4 checkpoints); the KV cache gets
  ``KV_MEMORY_FRACTION`` of what is left after ``RUNTIME_RESERVE_GB``.  A sequence needs
  ``2 x layers x kv_heads x head_dim x kv_bytes`` per token, so the KV cache bounds the batch.
* Prefill of a ``P``-token prompt costs ``2 x active_params x P + 2 x layers x attn_width x P^2``
  FLOPs and runs at ``eff_prefill`` of the peak tensor FLOPS (never faster than one weight read).
* A decode step for ``B`` sequences with average context ``c`` reads the (touched) weights and
  ``B x c`` KV entries at ``eff_bw`` of the HBM bandwidth, and does ``2 x active_params x B`` plus
  attention FLOPs at ``eff_flops`` of peak; it takes the larger of the two (roofline), plus a per-step
  overhead proportional to the layer count and, with tensor parallelism, two all-reduces per layer
  (a fixed latency plus the activations over the GPU's interconnect: NVLink, Infinity Fabric or PCIe).
* ``B`` running sequences (at most what the KV cache and the engine's batch cap hold) each get a token
  every ``ITL = t_step(B) + B x t_prefill / R`` seconds (other requests' prefills interleave with the
  decode steps), so output tokens/s = ``B / ITL`` = ``B R / (B t_prefill + R t_step(B))``; users beyond
  ``B`` queue, and TTFT adds the queue, the wait for other prefills and the request's own prefill
  (:func:`roofline.load`, the one formula).  :func:`plan` searches deployments for the cheapest that
  meets latency targets at a demand.

The efficiency factors (and the FP4 and ROCm kernel-maturity factors) are fitted on the ``holdout = false`` rows of ``measurements.toml`` (dense
Llama 3.x rows only) and the error is reported on the ``holdout = true`` rows; run
``python -m tokencost.selfhost --calibration-table`` for the table in ``docs/selfhost.md``.

The fitted values are stored in ``CALIBRATED``; ``calibrate()`` recomputes them from the data.

Money is ``Decimal`` end to end.  Physics (FLOPs, bytes, seconds) is float; GPU-seconds are
converted to ``Decimal`` with 10 significant digits before any money is computed, and money results
are quantized to ``MONEY_QUANTUM`` (1e-10 USD, half-even) -- round further only for display.
"""

from .cost import (
    DEFAULT_DEPLOYMENTS,
    HOURS_PER_MONTH,
    HOURS_PER_YEAR,
    MONEY_QUANTUM,
    ON_PREM_INPUTS,
    ApiEquivalent,
    Assumption,
    BreakevenResult,
    BreakevenRow,
    GpuPrice,
    HostedOption,
    OnPremInput,
    OnPremPrice,
    SelfHostEstimate,
    SensitivityRow,
    api_equivalent,
    breakeven,
    default_rows,
    estimate,
    gpu_price,
    on_prem_price,
    on_prem_price_per_gpu_hour,
    plot_breakeven,
    quantize_money,
)
from .hardware import (
    HARDWARE_DIR,
    PRICE_TIERS,
    CloudPrice,
    Gpu,
    Hardware,
    Licence,
    Measurement,
    ModelArch,
    OnPremDefault,
    load_hardware,
    resolve_gpu,
    resolve_licence,
    resolve_model,
)
from .plan import Candidate, Demand, FrontierPoint, Plan, demand_from_csv, plan, plot_frontier
from .roofline import (
    CALIBRATED,
    Calibration,
    CalibrationReport,
    Deployment,
    Load,
    calibrate,
    calibration_markdown,
    calibration_report,
    default_calibration,
    latency_report,
    load,
    predict_load,
    predict_output_tokens_per_s,
    publisher_holdout_report,
    validation_markdown,
)

__all__ = [
    "CALIBRATED",
    "DEFAULT_DEPLOYMENTS",
    "HARDWARE_DIR",
    "HOURS_PER_MONTH",
    "HOURS_PER_YEAR",
    "MONEY_QUANTUM",
    "ON_PREM_INPUTS",
    "PRICE_TIERS",
    "ApiEquivalent",
    "Assumption",
    "BreakevenResult",
    "BreakevenRow",
    "Calibration",
    "CalibrationReport",
    "Candidate",
    "CloudPrice",
    "Demand",
    "Deployment",
    "FrontierPoint",
    "Gpu",
    "GpuPrice",
    "Hardware",
    "HostedOption",
    "Licence",
    "Load",
    "Measurement",
    "ModelArch",
    "OnPremDefault",
    "OnPremInput",
    "OnPremPrice",
    "Plan",
    "SelfHostEstimate",
    "SensitivityRow",
    "api_equivalent",
    "breakeven",
    "calibrate",
    "calibration_markdown",
    "calibration_report",
    "default_calibration",
    "default_rows",
    "demand_from_csv",
    "estimate",
    "gpu_price",
    "latency_report",
    "load",
    "load_hardware",
    "on_prem_price",
    "on_prem_price_per_gpu_hour",
    "plan",
    "plot_breakeven",
    "plot_frontier",
    "predict_load",
    "predict_output_tokens_per_s",
    "publisher_holdout_report",
    "quantize_money",
    "resolve_gpu",
    "resolve_licence",
    "resolve_model",
    "validation_markdown",
]
