"""Pricing rules and the estimator: exact Decimal arithmetic, tiers, caching, batch, credits, trim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tokencost import estimator
from tokencost.errors import BadInputError
from tokencost.pricing_rules import charge, tier_for
from tokencost.usage import Usage
from tokencost.registry import load_registry

REGISTRY = load_registry()
ALL = REGISTRY.models()
FLAT = [p for p in ALL if not p.period.tiers]
TIERED = [p for p in ALL if p.period.tiers]
CACHED = [p for p in ALL if p.period.cache_read is not None and p.period.cache_read <= p.period.input]

tokens = st.integers(min_value=0, max_value=2_000_000)
models = st.sampled_from(ALL)


@st.composite
def usages(draw, max_prompt: int = 2_000_000):
    prompt = draw(st.integers(0, max_prompt))
    cached = draw(st.integers(0, prompt))
    write = draw(st.integers(0, prompt - cached))
    output = draw(tokens)
    return Usage(input_tokens=prompt, output_tokens=output, cached_tokens=cached,
                 cache_write_tokens=write, reasoning_tokens=draw(st.integers(0, min(output, 100_000))))


options = st.fixed_dictionaries({"batch": st.booleans(), "cache_ttl": st.sampled_from(["5m", "1h"])})


def with_(usage, **changes):
    """The same usage with some fields changed (validated again)."""
    return Usage(**{**usage.model_dump(), **changes})


def total(priced, usage, opts=None):
    return charge(priced, with_(usage, **(opts or {}))).total


# --- properties of the arithmetic ------------------------------------------------------------

@given(models, usages(), options)
def test_cost_is_never_negative_and_is_exact_decimal(priced, usage, opts):
    result = charge(priced, with_(usage, **opts))
    for part in (result.input, result.cache_read, result.cache_write, result.output):
        assert isinstance(part, Decimal) and part >= 0
    assert result.total == result.input + result.cache_read + result.cache_write + result.output


@given(st.sampled_from(FLAT), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 1000))
def test_without_tiers_cost_is_linear_in_tokens(priced, prompt, output, k):
    one = total(priced, Usage(input_tokens=prompt, output_tokens=output))
    assert total(priced, Usage(input_tokens=prompt * k, output_tokens=output * k)) == one * k


@given(st.sampled_from(FLAT), usages(500_000), usages(500_000))
def test_without_tiers_cost_is_additive_over_token_counts(priced, a, b):
    both = Usage(input_tokens=a.input_tokens + b.input_tokens, output_tokens=a.output_tokens + b.output_tokens,
                 cached_tokens=a.cached_tokens + b.cached_tokens,
                 cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
                 reasoning_tokens=a.reasoning_tokens + b.reasoning_tokens)
    assert total(priced, both) == total(priced, a) + total(priced, b)


@given(models, usages(), st.integers(1, 10**6))
def test_cost_is_additive_over_requests(priced, usage, n):
    most = priced.model.max_output_tokens
    assume(usage.input_tokens <= priced.context_window and (most is None or usage.output_tokens <= most))
    one = estimator.price_usage(priced, usage)
    many = estimator.price_usage(priced, with_(usage, requests=n))
    assert many.total_cost == one.total_cost * n
    assert many.input_cost + many.cache_read_cost + many.cache_write_cost + many.output_cost == many.total_cost


@given(st.sampled_from(CACHED), usages())
def test_caching_never_costs_more_than_no_caching_when_cache_reads_are_cheaper(priced, usage):
    uncached = Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                     cache_write_tokens=usage.cache_write_tokens, reasoning_tokens=usage.reasoning_tokens)
    assert total(priced, usage) <= total(priced, uncached)


@given(models, usages())
def test_reasoning_tokens_are_billed_exactly_like_output_tokens(priced, usage):
    assert total(priced, usage) == total(priced, with_(usage, reasoning_tokens=0))


@pytest.mark.parametrize("priced", TIERED, ids=lambda p: p.key)
def test_tier_boundaries_are_respected_exactly_at_n_minus_1_n_and_n_plus_1(priced):
    for tier in priced.period.tiers:
        n = tier.above_prompt_tokens
        assert tier_for(priced.period, n - 1) is not tier
        assert tier_for(priced.period, n) is not tier
        assert tier_for(priced.period, n + 1) is tier
        at_n = charge(priced, Usage(input_tokens=n, output_tokens=100))
        above = charge(priced, Usage(input_tokens=n + 1, output_tokens=100))
        unit = 1_000_000  # rates are per 1M tokens once loaded
        if tier.rule == "whole_request":
            assert above.input == (n + 1) * tier.input / unit
            assert above.output == 100 * tier.output / unit
        assert at_n.tier != above.tier


@given(st.sampled_from(TIERED), st.integers(1, 3_000_000))
def test_whole_request_tiers_bill_every_prompt_token_at_one_rate(priced, prompt):
    tier = tier_for(priced.period, prompt)
    source = tier or priced.period
    assume(tier is None or tier.rule == "whole_request")
    unit = 1_000_000  # rates are per 1M tokens once loaded
    assert charge(priced, Usage(input_tokens=prompt)).input == prompt * source.input / unit


EXCESS = """
schema_version = 1
[provider]
id = "graded"
name = "Graded"
[[models]]
id = "g"
name = "G"
tokenizer = "o200k_base"
context_window = 1000000
[[models.prices]]
effective = 2025-01-01
unit = "1M"
input = 1
output = 2
cache_read = 0.1
source = "https://graded.example/pricing"
checked = 2026-01-01
[[models.prices.tiers]]
above_prompt_tokens = 1000
rule = "excess_only"
input = 3
output = 2
cache_read = 0.3
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    path = tmp_path_factory.mktemp("graded") / "g.toml"
    path.write_text(EXCESS)
    return load_registry([path], shipped=False).get("graded:g")


def test_excess_only_tiers_charge_only_the_tokens_past_the_threshold(graded):
    # 1,500 prompt tokens: 1,000 at $1/M + 500 at $3/M; output stays at $2/M.
    result = charge(graded, Usage(input_tokens=1500, output_tokens=10))
    assert result.input == Decimal(1000 * 1 + 500 * 3) / 1_000_000
    assert result.output == Decimal(10 * 2) / 1_000_000


def test_excess_only_tiers_treat_the_cached_prefix_as_the_first_tokens(graded):
    # 1,200 cached (1,000 at 0.1 and 200 at 0.3), then 300 uncached at the tier's 3.
    result = charge(graded, Usage(input_tokens=1500, cached_tokens=1200))
    assert result.cache_read == Decimal(1000 * Decimal("0.1") + 200 * Decimal("0.3")) / 1_000_000
    assert result.input == Decimal(300 * 3) / 1_000_000


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_excess_only_cost_is_continuous_and_monotone_in_prompt_length(graded, a, b):
    lo, hi = sorted((a, b))
    assert total(graded, Usage(input_tokens=lo)) <= total(graded, Usage(input_tokens=hi))


# --- rules against the shipped data ----------------------------------------------------------

def test_batch_uses_the_published_batch_rates():
    gpt4o = REGISTRY.get("openai:gpt-4o")
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    result = charge(gpt4o, with_(usage, batch=True))
    assert result.input == gpt4o.rate("batch_input") and result.output == gpt4o.rate("batch_output")
    assert result.total < charge(gpt4o, usage).total


def test_a_model_without_batch_rates_says_so_instead_of_inventing_a_discount():
    no_batch = next(p for p in FLAT if p.period.batch_input is None)
    result = charge(no_batch, Usage(input_tokens=1000, batch=True))
    assert any("no batch rates" in n for n in result.notes)
    assert result.total == charge(no_batch, Usage(input_tokens=1000)).total


def test_cache_writes_use_the_5_minute_or_1_hour_rate():
    claude = next(p for p in ALL if p.provider == "anthropic" and p.period.cache_write_1h is not None
                  and not p.period.tiers)
    usage = Usage(input_tokens=1_000_000, cache_write_tokens=1_000_000)
    assert charge(claude, usage).cache_write == claude.rate("cache_write")
    assert charge(claude, with_(usage, cache_ttl="1h")).cache_write == claude.rate("cache_write_1h")


def test_credit_priced_models_are_converted_with_the_stated_rate_and_say_so():
    snow = next(p for p in REGISTRY.models("snowflake"))
    est = estimator.price_usage(snow, Usage(input_tokens=100_000, output_tokens=0))
    assert est.billed_in == "CREDIT" and est.currency == "USD"
    assert est.total_cost == snow.rate("input") * snow.conversion.rate / 10
    assert any("1 CREDIT =" in n for n in est.notes)


def test_unknown_service_tier_lists_the_published_ones():
    with pytest.raises(BadInputError, match="openai:gpt-4o has no service tier 'turbo' .*published: .*priority"):
        charge(REGISTRY.get("openai:gpt-4o"), Usage(input_tokens=1, service_tier="turbo"))


@pytest.mark.parametrize("bad", [
    dict(input_tokens=-1), dict(input_tokens=10, output_tokens=-5), dict(input_tokens=10, cached_tokens=11),
    dict(input_tokens=1.5), dict(input_tokens=True), dict(output_tokens=5, reasoning_tokens=6),
    dict(input_tokens=10**13), dict(batch="no"), dict(requests=0), dict(cache_ttl="2h"), dict(prompt_tokens=5),
])
def test_impossible_token_counts_are_rejected(bad):
    with pytest.raises(BadInputError):
        Usage(**bad)


@pytest.mark.parametrize("rpd, days", [(0, 30), (-5, None), (10, 0), (10**14, 365), (1, 10**6)])
def test_negative_zero_or_absurd_volumes_are_rejected(rpd, days):
    with pytest.raises(BadInputError):
        estimator.volume(rpd, days)


def test_volume_projection_multiplies_per_request_cost():
    assert estimator.volume(1000, 30) == 30_000 and estimator.volume(1000) == 30_000
    one, month = (estimator.estimate(None, "openai:gpt-4o", prompt_tokens=1500, response_tokens=300, requests=n)
                  for n in (1, 30_000))
    assert month.total_cost == one.total_cost * 30_000


def test_compare_defaults_to_a_set_covering_every_token_selling_provider_cheapest_first():
    result = estimator.compare(None, prompt_tokens=1500, response_tokens=300)
    providers = {e.provider for e in result}
    assert {"openai", "azure-openai", "vertex", "anthropic", "bedrock", "groq", "databricks", "snowflake",
            "mistral", "alibaba", "azure-ai"} <= providers
    totals = [e.total_cost for e in result]
    assert totals == sorted(totals)


def test_estimate_json_has_money_as_decimal_strings():
    est = estimator.estimate(None, "openai:gpt-4o", prompt_tokens=1500, response_tokens=300)
    data = est.model_dump(mode="json")
    assert data["total_cost"] == "0.00675" and isinstance(data["rates_per_1m"]["input"], str)
    assert data["price_checked"] == est.price_checked.isoformat() and data["as_of"] == dt.date.today().isoformat()


def test_historical_estimate_uses_the_price_in_force_then():
    launch = estimator.estimate(None, "openai:gpt-3.5-turbo", prompt_tokens=1000, response_tokens=1000,
                                as_of=dt.date(2023, 3, 1))
    assert launch.total_cost == Decimal("0.004")  # 2,000 tokens at $0.002 per 1K


# --- the trim claim ----------------------------------------------------------------------------

def test_under_linear_pricing_a_10pct_prompt_trim_saves_the_prompt_share_of_10pct():
    gpt4o = REGISTRY.get("openai:gpt-4o")
    [r] = estimator.trim_saving(None, ["openai:gpt-4o"], prompt_tokens=10_000, response_tokens=500)
    prompt_cost = 10_000 * gpt4o.input_per_1m / 1_000_000
    output_cost = 500 * gpt4o.output_per_1m / 1_000_000
    assert r.saving == prompt_cost / 10
    assert r.saving_pct == (prompt_cost / 10 * 100 / (prompt_cost + output_cost)).quantize(estimator.PCT)
    assert r.saving_pct < 10 and not r.article_claim_reached


def test_trimming_prompt_and_response_alike_saves_exactly_the_trim():
    [r] = estimator.trim_saving(None, ["openai:gpt-4o"], prompt_tokens=10_000, response_tokens=500,
                                response_trim=0.10)
    assert r.saving_pct == Decimal("10.0000") and not r.article_claim_reached


def test_a_trim_that_crosses_a_context_tier_saves_far_more_than_the_trim():
    pro = REGISTRY.get("gemini:gemini-2.5-pro")
    [tier] = pro.period.tiers
    [r] = estimator.trim_saving(None, ["gemini:gemini-2.5-pro"], prompt_tokens=210_000, response_tokens=1000)
    before = (210_000 * tier.input + 1000 * tier.output) / 1_000_000
    after = (189_000 * pro.period.input + 1000 * pro.period.output) / 1_000_000
    assert (r.before.total_cost, r.after.total_cost) == (before, after)
    assert r.saving_pct > 15 and r.article_claim_reached
    assert "prompt > 200,000" in r.explanation


def test_a_trim_of_uncached_tokens_behind_a_cached_prefix_can_reach_15pct():
    [r] = estimator.trim_saving(None, ["openai:gpt-4o"], prompt_tokens=10_000, cached_tokens=8_000,
                                response_tokens=0)
    assert r.saving_pct > 15 and r.article_claim_reached


def test_trim_fractions_outside_0_to_1_are_rejected():
    for bad in (-0.1, 1, 1.5):
        with pytest.raises(BadInputError):
            estimator.trim_saving(None, ["openai:gpt-4o"], prompt_tokens=100, trim=bad)


# --- self-hosted rows ----------------------------------------------------------------------------

def test_default_comparison_includes_a_self_hosted_llama_estimate_priced_from_the_throughput_model():
    from tokencost import selfhost

    rows = estimator.compare("Explain the difference between TCP and UDP. " * 20, response_tokens=300)
    own = [e for e in rows if e.provider == "self-hosted"]
    assert len(own) == len(selfhost.DEFAULT_DEPLOYMENTS) == 2  # the open-source engine, and NIM with its licence
    for row, d in zip(sorted(own, key=lambda e: "-nim" in e.model), selfhost.DEFAULT_DEPLOYMENTS):
        api = selfhost.api_equivalent(d["model"], d["gpu"], d["precision"], d["utilization"], row.input_tokens, 300,
                                      licence=d.get("licence"))
        assert row.cost_per_request == (api.input_per_1m * row.input_tokens + api.output_per_1m * 300) / 1_000_000
        assert "estimate" in row.name and any("self-hosted estimate" in n for n in row.notes)
        assert row.tokenizer == "llama3" and row.count == "exact"
    assert own[0].total_cost != own[1].total_cost  # the licence shows


def test_self_hosted_rows_are_left_out_when_they_cannot_model_the_request():
    prompt = "Explain the difference between TCP and UDP. " * 20
    for kw in (dict(response_tokens=0), dict(response_tokens=10, batch=True), dict(response_tokens=10, cached_tokens=5)):
        assert all(e.provider != "self-hosted" for e in estimator.compare(prompt, **kw))
    assert all(e.provider != "self-hosted" for e in estimator.compare(prompt, ["openai:gpt-4o"], response_tokens=10))
    past = estimator.compare(prompt, response_tokens=10, as_of=dt.date(2025, 1, 1))
    assert past and all(e.provider != "self-hosted" for e in past)


def test_a_missing_optional_tokenizer_package_falls_back_to_a_labelled_approximation(monkeypatch):
    from tokencost import tokenizers
    from tokencost.tokenizers import _vocab

    monkeypatch.setitem(_vocab.SOURCES, "qwen", _vocab.VocabSource(
        "no_such_pkg_xyz", "qwen.tiktoken", "0" * 64, "tiktoken", "qwen", "dashscope"))
    tokenizers._clear_cache()
    try:
        est = estimator.estimate("Hello there, how are you today?", "alibaba:qwen-plus", response_tokens=10)
    finally:
        tokenizers._clear_cache()
    assert est.count == "approximate"
    assert "pip install 'tokencost[qwen]'" in est.count_basis
    assert est.prompt_tokens == tokenizers.get_tokenizer("approx:chars").count("Hello there, how are you today?")


def test_images_are_counted_by_the_rule_the_price_file_names_and_flagged_otherwise():
    from tokencost import count_message_tokens
    from tokencost.messages import openai_image_tokens

    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]}]
    text_only = [{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}]
    gpt4o = count_message_tokens(messages, "openai:gpt-4o")
    assert gpt4o.tokens == count_message_tokens(text_only, "openai:gpt-4o").tokens + 85  # low detail: 85 tokens
    assert not gpt4o.uncounted_parts
    mini = count_message_tokens(messages, "openai:gpt-4o-mini")
    assert mini.uncounted_parts and mini.tokens == count_message_tokens(text_only, "openai:gpt-4o-mini").tokens
    est = estimator.estimate(messages, "openai:gpt-4o-mini", response_tokens=1)
    assert "not counted" in est.count_basis
    assert openai_image_tokens(1024, 1024, "high") == 765  # OpenAI's worked example


def test_a_comparison_becomes_a_dataframe_with_exact_decimal_money():
    result = estimator.compare(None, ["openai:gpt-4o", "snowflake:llama3.3-70b"], prompt_tokens=1000,
                               response_tokens=100, selfhost=False)
    df = result.to_dataframe()
    assert [f"{p}:{m}" for p, m in zip(df["provider"], df["model"])] == [e.model for e in result]
    assert all(isinstance(v, Decimal) for v in df["total_cost"])
    assert df["total_cost"].tolist() == [e.total_cost for e in result]
    assert {"price_checked", "as_of", "source", "usd_per_unit", "count"} <= set(df.columns)
