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

from .cost import (
    HOURS_PER_MONTH,
    HOURS_PER_YEAR,
    MONEY_QUANTUM,
    Assumption,
    BreakevenResult,
    BreakevenRow,
    HostedOption,
    SelfHostEstimate,
    SensitivityRow,
    _q,  # noqa: F401 - the tests check money rounding with it
    breakeven,
    estimate,
    on_prem_price_per_gpu_hour,
    plot_breakeven,
)
from .hardware import (
    HARDWARE_DIR,
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
from .roofline import (
    CALIBRATED,
    Calibration,
    CalibrationReport,
    calibrate,
    calibration_markdown,
    calibration_report,
    default_calibration,
    predict_output_tokens_per_s,
)

__all__ = [
    "CALIBRATED",
    "HARDWARE_DIR",
    "HOURS_PER_MONTH",
    "HOURS_PER_YEAR",
    "MONEY_QUANTUM",
    "Assumption",
    "BreakevenResult",
    "BreakevenRow",
    "Calibration",
    "CalibrationReport",
    "CloudPrice",
    "Gpu",
    "Hardware",
    "HostedOption",
    "Licence",
    "Measurement",
    "ModelArch",
    "OnPremDefault",
    "SelfHostEstimate",
    "SensitivityRow",
    "breakeven",
    "calibrate",
    "calibration_markdown",
    "calibration_report",
    "default_calibration",
    "estimate",
    "load_hardware",
    "on_prem_price_per_gpu_hour",
    "plot_breakeven",
    "predict_output_tokens_per_s",
    "resolve_gpu",
    "resolve_licence",
    "resolve_model",
]
