"""pricing/hardware/clouds.toml: sourced, dated GPU prices and the row in force on a date."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter
from decimal import Decimal

import pytest

from conftest import cli_result
from tokencost import selfhost as sh
from tokencost.selfhost.hardware import CloudPrice

CLOUDS_TOML = sh.HARDWARE_DIR / "clouds.toml"
HYPERSCALERS = ("aws", "azure", "gcp")
#: The June 2025 AWS P4/P5 price cut: the last day of the old price and the first of the new one.
CUT = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def hw():
    return sh.load_hardware()


@pytest.fixture(scope="module")
def raw_rows():
    with open(CLOUDS_TOML, "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)["price"]


def test_every_row_validates_on_its_own(raw_rows, hw):
    rows = [CloudPrice.model_validate(r) for r in raw_rows]
    assert len(rows) == len(hw.prices)
    for r in rows:
        assert r.gpu in hw.gpus, r
        assert isinstance(r.price_per_gpu_hour, Decimal) and r.price_per_gpu_hour > 0
        assert r.source.startswith("https://") and r.note
        assert r.effective <= r.checked, f"{r.cloud} {r.instance}: effective after the date it was checked"
        assert r.sla or r.tier in ("spot", "community"), f"{r.cloud} {r.tier} row without an SLA"
    periods = Counter((r.cloud, r.instance, r.tier, r.region, r.effective) for r in rows)
    assert max(periods.values()) == 1, "two rows for the same instance, tier, region and effective date"


def test_instance_prices_divide_to_the_per_gpu_price(hw):
    """A row priced per instance says '$X per instance-hour / N = $Y per GPU-hour'; the arithmetic must hold."""
    pattern = re.compile(r"\$([\d.,]+) per (?:instance|VM)-hour(?: \([A-Z]+\))? / (\d+) = \$([\d.]+) per GPU-hour")
    checked = 0
    for r in hw.prices:
        m = pattern.search(r.note)
        if m is None:
            continue
        instance, gpus, per_gpu = Decimal(m[1].replace(",", "")), int(m[2]), Decimal(m[3])
        assert instance / gpus == per_gpu == r.price_per_gpu_hour, f"{r.cloud} {r.instance}: {m[0]}"
        checked += 1
    per_instance = [r for r in hw.prices if r.cloud in ("aws", "azure", "coreweave") and r.tier != "reserved"]
    assert checked == len(per_instance)  # every AWS on-demand, Azure and CoreWeave row says how it was derived


def test_aws_p5_cut_is_two_periods_of_one_instance(hw):
    p5 = sorted((r for r in hw.prices if r.cloud == "aws" and r.instance == "p5.48xlarge" and r.tier == "on-demand"),
                key=lambda r: r.effective)
    assert [r.price_per_gpu_hour for r in p5] == [Decimal("12.29"), Decimal("6.88")]  # $98.32 and $55.04 / 8
    assert p5[1].effective == CUT and {(r.region, r.gpu) for r in p5} == {("us-east-1", "h100-sxm")}


@pytest.mark.parametrize("as_of,expected", [
    (CUT - dt.timedelta(days=1), Decimal("12.29")),
    (CUT, Decimal("6.88")),
    (dt.date(2026, 12, 2), Decimal("6.88")),
])
def test_the_aws_row_in_force_on_a_date(hw, as_of, expected):
    price, note = sh.gpu_price("h100", cloud="aws", as_of=as_of, hw=hw)
    assert price.price_per_gpu_hour == expected and price.row.effective <= as_of
    assert price.tier == "on-demand" and price.row.instance == "p5.48xlarge" and "cheapest on-demand row of" in note


def test_before_any_aws_on_demand_row_there_is_no_price(hw):
    first = min(r.effective for r in hw.prices if r.cloud == "aws" and r.tier == "on-demand" and r.gpu == "h100-sxm")
    price, note = sh.gpu_price("h100", cloud="aws", as_of=first - dt.timedelta(days=1), hw=hw)
    assert price is None and "no sourced on-demand price for h100-sxm at aws" in note


def test_selfhost_cli_uses_the_aws_on_demand_row_in_force_today(hw):
    today = dt.date.today()
    rows = [r for r in hw.prices if r.cloud == "aws" and r.gpu == "h100-sxm" and r.tier == "on-demand"
            and r.effective <= today]
    in_force = max(rows, key=lambda r: r.effective)
    assert in_force.price_per_gpu_hour == Decimal("6.88")  # the post-cut price: no newer row exists yet
    res = cli_result(["selfhost", "--model", "llama-3.3-70b", "--gpu", "h100", "--precision", "fp8", "--cloud", "aws"],
                     env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"${in_force.price_per_gpu_hour:.4f}/GPU-hour (on-demand)" in res.output
    assert f"aws on-demand us-east-1 (effective {in_force.effective}" in res.output
    e = sh.estimate("llama-3.3-70b", "h100", precision="fp8", cloud="aws")
    assert e.price_row == in_force and e.price_per_gpu_hour == in_force.price_per_gpu_hour


@pytest.mark.parametrize("gpu,clouds", [
    ("h100", {"aws", "azure"}),
    ("h200", {"aws"}),
    ("b200", {"aws"}),
])
def test_hyperscaler_on_demand_rows_are_found(hw, gpu, clouds):
    for cloud in clouds:
        price, _ = sh.gpu_price(gpu, cloud=cloud, hw=hw)
        assert price is not None and price.tier == "on-demand" and price.row.sla and price.row.cloud == cloud
    default, note = sh.gpu_price(gpu, hw=hw)
    sourced = {r.cloud for r in hw.prices if r.gpu == default.row.gpu and r.tier == "on-demand"}
    assert clouds <= sourced and default.providers == len(sourced) and f"({len(sourced)} provider(s))" in note
    assert default.range_high >= max(sh.gpu_price(gpu, cloud=c, hw=hw)[0].price_per_gpu_hour for c in clouds)


def test_plan_default_tier_prices_every_gpu_of_the_issue():
    """H100, H200, B200 and MI300X all have a sourced on-demand row now: none is left unranked."""
    gpus = ["h100", "h200", "b200", "mi300x"]
    p = sh.plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=500, itl_s=0.05, gpus=gpus, precisions=["fp8"])
    assert not any("no sourced" in n for n in p.notes), p.notes
    ranked = {c.gpu for c in p.candidates if c.price_per_gpu_hour is not None} | {p.gpu}
    assert ranked == {"h100-sxm", "h200", "b200", "mi300x"}
    for c in p.candidates:
        assert c.price_per_gpu_hour == sh.gpu_price(c.gpu)[0].price_per_gpu_hour


def test_spot_rows_have_no_sla_and_are_cheaper_than_on_demand(hw):
    spot = [r for r in hw.prices if r.tier == "spot"]
    assert spot and not any(r.sla for r in spot)
    for r in spot:
        on_demand = [o for o in hw.prices if (o.cloud, o.instance, o.tier) == (r.cloud, r.instance, "on-demand")]
        assert on_demand and all(r.price_per_gpu_hour < o.price_per_gpu_hour for o in on_demand)
        price, _ = sh.gpu_price(r.gpu, cloud=r.cloud, price_tier="spot", hw=hw)
        assert price.row == r
