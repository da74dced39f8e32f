"""tokencost.selfhost.plan: the cheapest deployment meeting latency targets at a demand."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from tokencost import selfhost as sh
from conftest import cli_result
from tokencost.errors import BadInputError
from tokencost.registry import load_registry

EXAMPLE = "examples/hourly.csv"


def _brute_force(model, gpus, precisions, prompt, response, ttft, itl, peak_rps, max_load=0.85):
    """Every GPU x precision x TP size x concurrency (each whole number), straight from the public load
    formula and the sourced on-demand price: the lowest monthly cost that meets both targets."""
    hw = sh.load_hardware()
    arch = sh.resolve_model(model, hw)
    cal = sh.default_calibration()
    best = None
    for gid in gpus:
        g = sh.resolve_gpu(gid, hw)
        price, _ = sh.gpu_price(g, hw=hw)
        for prec in precisions:
            if prec != "bf16" and not g.has_native(prec):
                continue
            kv = "fp8" if prec in ("fp8", "fp4") and g.fp8_tflops is not None else "bf16"
            for n in (1, 2, 4, 8):
                dep = sh.Deployment(model=arch, gpu=g, gpus=n, precision=prec, kv_precision=kv)
                for c in range(1, dep.batch_limit(prompt, response, cal) + 1):
                    ld = sh.load(dep, prompt, response, c, cal)
                    if ld.ttft_s <= ttft and ld.itl_s <= itl:
                        replicas = max(1, math.ceil(peak_rps / (ld.requests_per_s * max_load) - 1e-9))
                        cost = Decimal(replicas * n) * sh.HOURS_PER_MONTH * price.price_per_gpu_hour
                        if best is None or cost < best[0]:
                            best = (cost, gid, prec, n, replicas)
    return best


@pytest.mark.parametrize("rps,ttft,itl", [(12, 2.0, 0.02), (3, 1.0, 0.05), (40, 5.0, 0.03)])
def test_plan_is_the_cheapest_deployment_meeting_the_targets(rps, ttft, itl):
    p = sh.plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=1000, ttft_s=ttft, itl_s=itl, requests_per_s=rps,
                gpus=["h100", "a100-80gb"])
    assert p.meets_targets and p.ttft_s <= ttft and p.itl_s <= itl
    cost, gpu, prec, n, replicas = _brute_force("llama-3.3-70b", ["h100-sxm", "a100-80gb"], ["bf16", "fp8"], 1000, 1000,
                                                ttft, itl, rps)
    assert p.monthly_cost == cost, (p.gpu, p.precision, p.gpus_per_replica, p.replicas, gpu, prec, n, replicas)
    # the fleet serves the peak at the plan's concurrency
    hw = sh.load_hardware()
    dep = sh.Deployment(model=hw.models[p.model], gpu=hw.gpus[p.gpu], gpus=p.gpus_per_replica, precision=p.precision,
                        kv_precision="fp8" if p.precision == "fp8" else "bf16")
    ld = sh.load(dep, 1000, 1000, p.concurrency, sh.default_calibration())
    assert ld.requests_per_s * 0.85 * p.replicas >= rps * 0.999999  # the peak fits with 15% headroom
    assert ld.ttft_s == pytest.approx(p.ttft_s) and ld.itl_s == pytest.approx(p.itl_s)
    # utilization is derived from the demand, not assumed
    assert p.utilization == Decimal(str(rps / (ld.requests_per_s * p.replicas))).quantize(Decimal("0.0001"))
    # money: the monthly cost splits into input and output at the demand's volume
    monthly_requests = Decimal(str(float(rps))) * sh.HOURS_PER_MONTH * 3600
    total = (p.cost_per_1m_input * 1000 + p.cost_per_1m_output * 1000) * monthly_requests / 1_000_000
    assert abs(total - p.monthly_cost) <= Decimal("0.01")
    assert all(c.monthly_cost is None or not c.meets_targets or c.monthly_cost >= p.monthly_cost for c in p.candidates)


def test_no_demand_sizes_one_replica_at_the_largest_concurrency_meeting_the_targets():
    p = sh.plan("llama-3.1-8b", prompt_tokens=500, response_tokens=200, itl_s=0.015, gpus=["h100"], precisions=["fp8"])
    assert p.replicas == 1 and p.utilization is None and p.meets_targets and p.itl_s <= 0.015
    hw = sh.load_hardware()
    dep = sh.Deployment(model=hw.models[p.model], gpu=hw.gpus["h100-sxm"], gpus=p.gpus_per_replica, precision="fp8",
                        kv_precision="fp8")
    nxt = sh.load(dep, 500, 200, p.concurrency + 1, sh.default_calibration())
    assert nxt.itl_s > 0.015 or nxt.running == p.concurrency
    assert any("no demand given" in n for n in p.notes)


def test_unreachable_target_gives_the_closest_deployment_not_an_error():
    p = sh.plan("llama-3.1-405b", prompt_tokens=1000, response_tokens=500, itl_s=0.001, requests_per_s=1, gpus=["h100"])
    assert not p.meets_targets and p.itl_s > 0.001
    assert any("no searched deployment meets" in n for n in p.notes)
    assert p.concurrency == 1  # the lowest latency there is


def test_autoscaling_and_redundancy_follow_the_traffic_file():
    fixed = sh.plan("llama-3.3-70b", traffic=EXAMPLE, ttft_s=2, itl_s=0.03, gpus=["h100"])
    scaled = sh.plan("llama-3.3-70b", traffic=EXAMPLE, ttft_s=2, itl_s=0.03, gpus=["h100"], autoscale=True)
    spare = sh.plan("llama-3.3-70b", traffic=EXAMPLE, ttft_s=2, itl_s=0.03, gpus=["h100"], redundancy=1)
    demand = sh.demand_from_csv(EXAMPLE)
    assert fixed.peak_requests_per_s == pytest.approx(demand.peak_requests_per_s)
    assert fixed.prompt_tokens == round(demand.prompt_tokens) and fixed.response_tokens == 400
    assert scaled.monthly_cost < fixed.monthly_cost and scaled.utilization > fixed.utilization
    # a spare replica costs more, but never more than the fixed plan plus one of its replicas (the plan may
    # switch to smaller replicas, whose spare is cheaper)
    one_replica = fixed.monthly_cost / fixed.replicas
    assert fixed.monthly_cost < spare.monthly_cost <= fixed.monthly_cost + one_replica and spare.redundancy == 1
    hw = sh.load_hardware()
    dep = sh.Deployment(model=hw.models[spare.model], gpu=hw.gpus[spare.gpu], gpus=spare.gpus_per_replica,
                        precision=spare.precision, kv_precision="fp8" if spare.precision == "fp8" else "bf16")
    ld = sh.load(dep, spare.prompt_tokens, spare.response_tokens, spare.concurrency, sh.default_calibration())
    assert spare.replicas == math.ceil(demand.peak_requests_per_s / (0.85 * ld.requests_per_s) - 1e-9) + 1
    assert fixed.monthly_gpu_hours == Decimal(fixed.replicas * fixed.gpus_per_replica) * sh.HOURS_PER_MONTH


def test_hosted_apis_are_priced_for_the_same_requests():
    p = sh.plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=1000, itl_s=0.03, requests_per_s=5,
                gpus=["h100"], vs=["openai:gpt-4o"])
    [h] = p.hosted
    priced = load_registry().get("openai:gpt-4o")
    per_request = (1000 * priced.input_per_1m_usd + 1000 * priced.output_per_1m_usd) / 1_000_000
    monthly = per_request * Decimal(5) * sh.HOURS_PER_MONTH * 3600
    assert h.monthly_cost == monthly.quantize(sh.MONEY_QUANTUM) and h.source.startswith("https://")


def test_frontier_is_pareto_per_gpu_and_precision():
    p = sh.plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=1000, itl_s=0.03, gpus=["h100", "b200"])
    groups = {}
    for pt in p.frontier:
        groups.setdefault((pt.gpu, pt.precision), []).append(pt)
    assert ("b200", "fp8") in groups  # performance without a price still appears
    for pts in groups.values():
        for a in pts:
            assert not any(b.per_user_output_tokens_per_s > a.per_user_output_tokens_per_s
                           and b.output_tokens_per_s_per_gpu > a.output_tokens_per_s_per_gpu for b in pts)


@pytest.mark.parametrize("kwargs,match", [
    ({"ttft_s": 0}, "time-to-first-token target must be > 0"),
    ({"itl_s": -0.1}, "inter-token latency target must be > 0"),
    ({"requests_per_s": 5, "traffic": [1, 2]}, "not both"),
    ({"requests_per_s": 100, "max_gpus": 4}, "more than the bound of 4"),
    ({"redundancy": -1}, "redundancy"),
    ({"max_load": 0}, "maximum load per replica"),
    ({"price_tier": "cheap"}, "unknown price tier"),
    ({"gpus": ["l40s"]}, "no searched GPU has a sourced on-demand price"),
])
def test_bad_plan_inputs(kwargs, match):
    base = {"prompt_tokens": 1000, "response_tokens": 500, "itl_s": 0.05} | kwargs
    with pytest.raises(BadInputError, match=match):
        sh.plan("llama-3.3-70b", **base)


@pytest.mark.parametrize("body,match", [
    ("hour,requests\n0,10\n1,-5\n", r"bad\.csv:3: requests -5 is negative"),
    ("hour,requests\n0,ten\n", r"bad\.csv:2: requests 'ten' is not a number"),
    ("when,count\n0,1\n", r"bad\.csv:1: expected a header"),
    ("hour,requests\n0,0\n", "every hour has 0 requests"),
])
def test_bad_traffic_files_name_file_and_line(tmp_path, body, match):
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(BadInputError, match=match):
        sh.plan("llama-3.3-70b", prompt_tokens=100, response_tokens=100, traffic=str(f))


def test_cli_plan_table_json_and_plot(tmp_path):
    png = tmp_path / "frontier.png"
    args = ["plan", "--model", "llama-3.3-70b", "--prompt-tokens", "1000", "--response-tokens", "1000", "--itl", "0.02",
            "--ttft", "2", "--requests-per-s", "12", "--gpu", "h100", "--gpu", "h200", "--gpu", "b200",
            "--precision", "fp8", "--vs", "openai:gpt-4o", "--plot", str(png)]
    res = cli_result(args, env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines() if "plot written to" not in line) <= 100  # a path may be long
    assert "meets the targets" in res.output and "openai:gpt-4o" in res.output and "runners-up" in res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(cli_result([*args[:-2], "--format", "json"]).output)
    for field in ("gpu", "precision", "gpus_per_replica", "replicas", "concurrency", "output_tokens_per_s_per_gpu", "ttft_s",
                  "itl_s", "price_per_gpu_hour", "monthly_cost", "cost_per_1m_input", "cost_per_1m_output", "utilization",
                  "candidates"):
        assert field in data
    assert isinstance(data["monthly_cost"], str) and Decimal(data["monthly_cost"]) > 0


@pytest.mark.parametrize("extra", [["--ttft", "0"], ["--traffic", "missing.csv"], ["--max-gpus", "1", "--requests-per-s", "5000"]])
def test_cli_plan_errors_are_one_line_exit_2(extra):
    res = cli_result(["plan", "--model", "llama-3.3-70b", "--prompt-tokens", "100", "--response-tokens", "100",
                                   *extra])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("tokencost: error:") and res.output.count("\n") == 1


def test_timestamped_traffic_is_summed_into_clock_hours(tmp_path):
    f = tmp_path / "log.csv"
    f.write_text("timestamp,requests,prompt_tokens,response_tokens\n"
                 "2026-11-30T10:05:00Z,100,1000,200\n"
                 "2026-11-30T10:55:00+00:00,300,2000,200\n"
                 "2026-11-30T11:59:59Z,0,,\n"
                 "1796043600,50,1000,400\n")  # 2026-11-30T13:00:00Z as Unix seconds
    d = sh.demand_from_csv(f)
    assert [round(r * 3600) for r in d.requests_per_s_by_hour] == [400, 0, 0, 50]
    assert d.prompt_tokens == pytest.approx((100 * 1000 + 300 * 2000 + 50 * 1000) / 450)
    assert d.response_tokens == pytest.approx((100 * 200 + 300 * 200 + 50 * 400) / 450)
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,requests\nyesterday,5\n")
    with pytest.raises(BadInputError, match=r"bad\.csv:2: timestamp 'yesterday'"):
        sh.demand_from_csv(bad)


def test_own_gpu_prices_rank_gpus_without_a_sourced_price():
    base = dict(prompt_tokens=1000, response_tokens=1000, itl_s=0.1, ttft_s=2, requests_per_s=12, precisions=["fp8"])
    without = sh.plan("llama-3.3-70b", gpus=["h100", "l40s"], **base)  # L40S has no sourced price
    assert without.gpu == "h100-sxm" and any("l40s" in n for n in without.notes)
    cheap_l40s = sh.plan("llama-3.3-70b", gpus=["h100", "l40s"], gpu_prices={"l40s": "0.50"}, **base)
    assert cheap_l40s.gpu == "l40s" and cheap_l40s.price_source == "user-supplied"
    assert cheap_l40s.monthly_cost == Decimal("0.50") * cheap_l40s.monthly_gpu_hours
    assert cheap_l40s.monthly_cost < without.monthly_cost
    res = cli_result(["plan", "--model", "llama-3.3-70b", "--prompt-tokens", "100", "--response-tokens", "100",
                                   "--gpu-price", "b200"])
    assert res.exit_code == 2 and "GPU=USD_PER_GPU_HOUR" in res.output
