"""Price history: retired models, conversions that change over time, and the dated entries of issue 12."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from tokencost import estimator
from tokencost.cli import cli
from tokencost.errors import BadInputError, PriceFileError, UnknownModelError
from tokencost.registry import load_registry

D = dt.date.fromisoformat
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def shipped():
    return load_registry()


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def acme(retired: dt.date | None = None, deprecated: dt.date | None = None, conversions: str = "",
         currency: str = "USD", effective: str = "2024-01-01") -> str:
    """A one-model price file; ``retired``/``deprecated`` and ``conversions`` as given."""
    dates = "".join(f"{k} = {v}\n" for k, v in (("deprecated", deprecated), ("retired", retired)) if v)
    return f"""
schema_version = 1
[provider]
id = "acme"
name = "Acme AI"
{conversions}
[[models]]
id = "acme-old"
name = "Acme Old"
tokenizer = "o200k_base"
context_window = 8000
{dates}
[[models.prices]]
effective = {effective}
unit = "1M"
currency = "{currency}"
input = 1.00
output = 2.00
source = "https://acme.example/pricing"
checked = 2026-01-01
"""


# --- retirement ------------------------------------------------------------------------------

def test_a_price_asked_for_on_or_after_retirement_is_an_error_that_says_when(shipped):
    day_before = shipped.get("mistral:open-mistral-nemo", D("2026-07-30"))
    assert day_before.input_per_1m == Decimal("0.15")
    for day in (D("2026-07-31"), D("2026-09-01")):
        with pytest.raises(BadInputError, match=r"mistral:open-mistral-nemo was retired on 2026-07-31"):
            shipped.get("mistral:open-mistral-nemo", day)
    with pytest.raises(BadInputError, match="retired on 2026-07-31"):
        shipped.get("mistral-nemo", D("2026-08-01"))  # an alias finds the same entry and the same error


def test_retirement_counts_today_when_no_date_is_given(tmp_path):
    retired_today = load_registry([write(tmp_path, acme(retired=TODAY))], shipped=False)
    with pytest.raises(BadInputError, match=f"acme:acme-old was retired on {TODAY}"):
        retired_today.get("acme:acme-old")
    assert retired_today.get("acme:acme-old", TODAY - dt.timedelta(days=1)).input_per_1m == Decimal("1.00")
    retiring_tomorrow = load_registry([write(tmp_path, acme(retired=TODAY + dt.timedelta(days=1)))], shipped=False)
    assert retiring_tomorrow.get("acme:acme-old").output_per_1m == Decimal("2.00")


def test_models_listing_leaves_out_what_was_retired_by_then(shipped):
    def mistral_ids(day):
        return {p.id for p in shipped.models("mistral", as_of=day)}

    assert "open-mistral-nemo" in mistral_ids(D("2026-07-30"))
    assert "open-mistral-nemo" not in mistral_ids(D("2026-07-31"))
    assert "ministral-8b-2410" in mistral_ids(D("2025-12-30")) and "ministral-8b-2410" not in mistral_ids(D("2026-01-01"))
    assert all(p.model.retired is None or p.model.retired > TODAY for p in shipped.models())


def test_groq_llama_3_1_8b_instant_retired_with_groqs_decommission_date(shipped):
    assert shipped.get("groq:llama-3.1-8b-instant", D("2026-08-15")).output_per_1m == Decimal("0.08")
    with pytest.raises(BadInputError, match="groq:llama-3.1-8b-instant was retired on 2026-08-16"):
        shipped.get("groq:llama-3.1-8b-instant", D("2026-08-16"))


def test_retirement_must_follow_the_last_price_and_the_deprecation(tmp_path):
    with pytest.raises(PriceFileError, match="retired 2024-01-01 must come after"):
        load_registry([write(tmp_path, acme(retired=D("2024-01-01")))], shipped=False)
    with pytest.raises(PriceFileError, match="deprecated 2025-06-01 must not come after retired 2025-01-01"):
        load_registry([write(tmp_path, acme(retired=D("2025-01-01"), deprecated=D("2025-06-01")))], shipped=False)


def test_the_cli_reports_a_retired_model_as_bad_input_with_its_date():
    result = CliRunner().invoke(cli, ["prices", "show", "mistral:open-mistral-nemo", "--as-of", "2026-08-01"])
    assert result.exit_code == 2
    assert "was retired on 2026-07-31" in result.output
    shown = CliRunner().invoke(cli, ["prices", "show", "mistral:open-mistral-nemo", "--as-of", "2026-07-01"])
    assert shown.exit_code == 0 and "0.15" in shown.output


def test_retired_mistral_snapshots_no_longer_claim_the_latest_aliases(shipped):
    for alias in ("magistral-small-latest", "magistral-medium-latest"):
        with pytest.raises(UnknownModelError):
            shipped.resolve(f"mistral:{alias}")
    assert shipped.resolve("magistral-small-1.2") == "mistral:magistral-small-2509"
    nemo = shipped.get("mistral:open-mistral-nemo", D("2026-06-01")).model
    assert (nemo.deprecated, nemo.retired) == (D("2026-05-22"), D("2026-07-31"))


# --- conversions with effective dates --------------------------------------------------------

def test_snowflake_converts_credits_at_the_rate_in_force_on_the_priced_day(shipped):
    before = shipped.get("snowflake:llama3.1-405b", D("2026-04-05"))
    after = shipped.get("snowflake:llama3.1-405b", D("2026-04-06"))
    assert before.input_per_1m == after.input_per_1m == Decimal("1.20")  # same credits, different credit price
    assert before.conversion.effective is None and after.conversion.effective == D("2026-04-06")
    assert (before.usd_per_unit, after.usd_per_unit) == (before.conversion.rate, after.conversion.rate)
    assert before.usd_per_unit != after.usd_per_unit
    assert before.input_per_1m_usd == Decimal("1.20") * before.conversion.rate
    assert after.input_per_1m_usd == Decimal("1.20") * after.conversion.rate


def test_an_estimate_dated_before_the_ai_credits_switch_costs_the_credits_at_the_old_rate():
    def cost(day):
        return estimator.estimate(None, "snowflake:llama3.1-405b", prompt_tokens=100_000, response_tokens=0, as_of=day)

    old, new = cost(D("2026-03-01")), cost(D("2026-05-01"))
    old_rate = load_registry().get("snowflake:llama3.1-405b", D("2026-03-01")).conversion.rate
    assert old.total_cost == Decimal("1.20") * old_rate / 10
    assert new.total_cost == Decimal("1.20") * Decimal("2.00") / 10


def test_an_undated_conversion_applies_until_a_dated_one_takes_over(tmp_path):
    conversions = """
[[conversions]]
unit = "CREDIT"
rate = 3.00
source = "https://acme.example/credits"
checked = 2026-01-01

[[conversions]]
unit = "CREDIT"
rate = 2.00
effective = 2025-06-01
source = "https://acme.example/credits"
checked = 2026-01-01
"""
    registry = load_registry([write(tmp_path, acme(conversions=conversions, currency="CREDIT"))], shipped=False)
    rates = [registry.get("acme:acme-old", D(day)).usd_per_unit for day in ("2024-01-01", "2025-05-31", "2025-06-01")]
    assert rates == [Decimal("3.00"), Decimal("3.00"), Decimal("2.00")]
    listed = {p.key: p.usd_per_unit for p in registry.models(as_of=D("2025-07-01"))}
    assert listed == {"acme:acme-old": Decimal("2.00")}


def test_before_the_first_dated_conversion_there_is_no_rate_and_the_error_says_so(tmp_path):
    conversions = """
[[conversions]]
unit = "CREDIT"
rate = 2.00
effective = 2025-06-01
source = "https://acme.example/credits"
checked = 2026-01-01
"""
    registry = load_registry([write(tmp_path, acme(conversions=conversions, currency="CREDIT"))], shipped=False)
    with pytest.raises(BadInputError, match="no conversion to USD"):
        _ = registry.get("acme:acme-old", D("2025-05-31")).input_per_1m_usd
    assert registry.get("acme:acme-old", D("2025-06-01")).input_per_1m_usd == Decimal("2.00")


def test_a_users_conversion_replaces_the_shipped_history_of_that_unit(tmp_path):
    override = """
schema_version = 1
[provider]
id = "snowflake"
name = "Snowflake (my contract)"

[[conversions]]
unit = "CREDIT"
rate = 1.50
source = "https://example.com/my-contract"
checked = 2026-01-01
"""
    registry = load_registry([write(tmp_path, override, "mine.toml")])
    for day in ("2025-03-01", "2026-05-01"):
        assert registry.get("snowflake:llama3.1-405b", D(day)).usd_per_unit == Decimal("1.50")


def test_two_conversions_of_a_unit_may_not_start_on_the_same_day(tmp_path):
    twice = """
[[conversions]]
unit = "CREDIT"
rate = 3.00
source = "https://acme.example/credits"
checked = 2026-01-01

[[conversions]]
unit = "CREDIT"
rate = 2.00
source = "https://acme.example/credits"
checked = 2026-01-01
"""
    with pytest.raises(PriceFileError, match="two \\[\\[conversions\\]\\] for 'CREDIT' with no effective date"):
        load_registry([write(tmp_path, acme(conversions=twice, currency="CREDIT"))], shipped=False)


# --- the dated entries of issue 12 -----------------------------------------------------------

def test_at_least_four_hosts_priced_llama_3_1_405b_on_2025_03_01(shipped):
    day = D("2025-03-01")
    hosts = {p.provider for p in shipped.models(as_of=day) if p.family == "llama-3.1-405b"}
    assert len(hosts) >= 4, hosts
    for host in hosts:  # and each of them prices a request that day, in dollars
        key = next(p.key for p in shipped.models(host, as_of=day) if p.family == "llama-3.1-405b")
        est = estimator.estimate(None, key, prompt_tokens=1000, response_tokens=1000, as_of=day)
        assert est.total_cost > 0 and est.price_effective <= day


def test_bedrock_llama_3_1_405b_keeps_its_launch_price_until_the_cut(shipped):
    launch = shipped.get("bedrock:llama-3.1-405b", D("2024-07-23"))
    assert (launch.input_per_1k, launch.output_per_1k) == (Decimal("0.00532"), Decimal("0.016"))
    later = shipped.get("bedrock:llama-3.1-405b", D("2025-07-20"))
    assert (later.input_per_1k, later.output_per_1k) == (Decimal("0.0024"), Decimal("0.0024"))
    with pytest.raises(BadInputError, match="first price period starts 2024-07-23"):
        shipped.get("bedrock:llama-3.1-405b", D("2024-07-22"))


def test_the_bare_gpt_4o_alias_kept_its_launch_price_until_october_2_2024(shipped):
    def rates(ref, day):
        p = shipped.get(ref, D(day))
        return p.key, p.input_per_1m, p.output_per_1m

    assert rates("gpt-4o", "2024-05-13") == ("openai:gpt-4o", Decimal("5.00"), Decimal("15.00"))
    assert rates("gpt-4o", "2024-10-01") == ("openai:gpt-4o", Decimal("5.00"), Decimal("15.00"))
    assert rates("gpt-4o", "2024-10-02") == ("openai:gpt-4o", Decimal("2.50"), Decimal("10.00"))
    # the snapshot itself was $2.50/$10 from its release, while the alias still cost $5/$15
    assert rates("gpt-4o-2024-08-06", "2024-08-06") == ("openai:gpt-4o-2024-08-06", Decimal("2.50"), Decimal("10.00"))
    assert rates("gpt-4o-2024-05-13", "2024-10-02")[1:] == (Decimal("5.00"), Decimal("15.00"))
