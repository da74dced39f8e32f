"""Claude at AWS Bedrock and Google Vertex AI, and Azure OpenAI's long-context tier and GPT-5.6.

Expected amounts are worked by hand from the published per-1M rates cited in each comment, never
read back from the registry, so a wrong rate, alias or tier in the price files fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from conftest import run_cli
from tokencost.errors import BadInputError
from tokencost.estimator import estimate
from tokencost.registry import load_registry, validate_files

D = Decimal
TODAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def registry():
    return load_registry(shipped=True)


def test_shipped_price_files_validate():
    assert validate_files([]) == []


# --------------------------------------------------------------------------------------- Bedrock ids

@pytest.mark.parametrize(("ref", "key"), [
    # AWS spells versions with ':' -- both the provider-qualified and the bare log spelling resolve.
    ("bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock:claude-sonnet-4-5-regional"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock:claude-sonnet-4-5-regional"),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock:claude-sonnet-4-5-regional"),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock:claude-sonnet-4-5-regional"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock:claude-sonnet-4-5"),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "bedrock:claude-haiku-4-5-regional"),
    ("apac.anthropic.claude-opus-4-5-20251101-v1:0", "bedrock:claude-opus-4-5-regional"),
    ("global.anthropic.claude-opus-4-6-v1", "bedrock:claude-opus-4-6"),
    ("jp.anthropic.claude-sonnet-4-6", "bedrock:claude-sonnet-4-6-regional"),
    ("us.anthropic.claude-sonnet-5-5", "bedrock:claude-sonnet-5-5-regional"),
    ("global.anthropic.claude-haiku-5-5", "bedrock:claude-haiku-5-5"),
    ("au.anthropic.claude-fable-5-1-v1:0", "bedrock:claude-fable-5-1-regional"),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", "bedrock:claude-opus-4-1"),
    ("global.anthropic.claude-sonnet-4-20250514-v1:0", "bedrock:claude-sonnet-4"),
    ("bedrock:claude-opus-5", "bedrock:claude-opus-5"),
])
def test_bedrock_model_and_profile_ids_resolve_to_the_entry_that_bills_them(registry, ref, key):
    assert registry.get(ref, as_of=TODAY).key == key


def test_bare_claude_id_still_means_anthropic_itself(registry):
    # Bedrock and Vertex entries name the maker's model as `family`; the maker's own entry wins.
    assert registry.get("claude-sonnet-4-5", as_of=dt.date(2026, 11, 1)).key == "anthropic:claude-sonnet-4-5"
    assert registry.get("claude-opus-5", as_of=TODAY).key == "anthropic:claude-opus-5"


def test_us_profile_is_priced_at_the_regional_rate_not_the_global_one(registry):
    # AWS/Anthropic: Sonnet 4.5 global profile $3 in / $15 out per 1M; regional (us.) 10% higher,
    # $3.30 / $16.50. 100,000 in + 10,000 out on the us. profile:
    #   100,000 x 3.30 / 1M = 0.33 ; 10,000 x 16.50 / 1M = 0.165 ; total 0.495
    us = estimate(None, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", prompt_tokens=100_000,
                  response_tokens=10_000, as_of=TODAY, registry=registry)
    assert us.total_cost == D("0.495")
    # ...and on the global profile: 100,000 x 3 / 1M + 10,000 x 15 / 1M = 0.30 + 0.15 = 0.45
    glob = estimate(None, "global.anthropic.claude-sonnet-4-5-20250929-v1:0", prompt_tokens=100_000,
                    response_tokens=10_000, as_of=TODAY, registry=registry)
    assert glob.total_cost == D("0.45")


def test_global_entry_regional_uplift_reproduces_the_regional_entry(registry):
    # The published 10% premium, applied as an uplift to the global profile, equals the regional rates.
    usage = dict(prompt_tokens=50_000, response_tokens=2_000, cached_tokens=20_000, cache_write_tokens=10_000)
    for model in ("claude-haiku-4-5", "claude-opus-4-7", "claude-sonnet-5", "claude-fable-5-1"):
        uplifted = estimate(None, f"bedrock:{model}", uplift="regional", as_of=TODAY, registry=registry, **usage)
        regional = estimate(None, f"bedrock:{model}-regional", as_of=TODAY, registry=registry, **usage)
        assert uplifted.total_cost == regional.total_cost, model


def test_bedrock_regional_cache_rates_by_hand(registry):
    # Opus 4.7 regional (1.1 x Anthropic's $5 in, $25 out, $0.50 cache hit, $6.25 5-minute write):
    #   $5.50 in, $27.50 out, $0.55 cache read, $6.875 cache write per 1M.
    # 40,000-token prompt = 30,000 cache hits + 4,000 cache writes + 6,000 fresh; 1,000 out:
    #   30,000 x 0.55 = 16,500 ; 4,000 x 6.875 = 27,500 ; 6,000 x 5.50 = 33,000 ; 1,000 x 27.50 = 27,500
    #   sum 104,500 / 1M = 0.1045
    e = estimate(None, "eu.anthropic.claude-opus-4-7", prompt_tokens=40_000, cached_tokens=30_000,
                 cache_write_tokens=4_000, response_tokens=1_000, as_of=TODAY, registry=registry)
    assert e.total_cost == D("0.1045")


def test_bedrock_haiku_5_5_long_prompt_tier_on_the_regional_profile(registry):
    # Haiku 5.5 global: $0.10 / $0.50, and $0.50 / $2.50 for the whole request once the prompt passes
    # 100,000 tokens. Regional +10%: $0.55 in / $2.75 out above the threshold.
    #   150,000 x 0.55 = 82,500 ; 2,000 x 2.75 = 5,500 ; 88,000 / 1M = 0.088
    e = estimate(None, "us.anthropic.claude-haiku-5-5", prompt_tokens=150_000, response_tokens=2_000,
                 as_of=TODAY, registry=registry)
    assert e.tier is not None and "100,000" in e.tier
    assert e.total_cost == D("0.088")


def test_bedrock_haiku_4_5_batch_rates(registry):
    # Haiku 4.5 batch: global $0.50 / $2.50, regional $0.55 / $2.75 per 1M.
    #   us.: 100,000 x 0.55 + 10,000 x 2.75 = 0.055 + 0.0275 = 0.0825
    e = estimate(None, "us.anthropic.claude-haiku-4-5-20251001-v1:0", prompt_tokens=100_000,
                 response_tokens=10_000, batch=True, as_of=TODAY, registry=registry)
    assert e.total_cost == D("0.0825")


def test_bedrock_claude_before_launch_has_no_price(registry):
    with pytest.raises(BadInputError, match="no price in force"):
        registry.get("bedrock:claude-sonnet-5-5", as_of=dt.date(2026, 9, 1))


# ---------------------------------------------------------------------------------------- Vertex AI

def test_vertex_claude_global_rate_and_regional_endpoint_uplift(registry):
    # Vertex Sonnet 4.6 global endpoint $3 / $15 per 1M; regional endpoints +10% ($3.30 / $16.50).
    #   global:   20,000 x 3 + 5,000 x 15 = 60,000 + 75,000 = 135,000 / 1M = 0.135
    #   regional: 20,000 x 3.30 + 5,000 x 16.50 = 66,000 + 82,500 = 148,500 / 1M = 0.1485
    glob = estimate(None, "vertex:claude-sonnet-4-6", prompt_tokens=20_000, response_tokens=5_000,
                    as_of=TODAY, registry=registry)
    reg = estimate(None, "vertex:claude-sonnet-4-6", prompt_tokens=20_000, response_tokens=5_000,
                   uplift="regional-endpoint", as_of=TODAY, registry=registry)
    assert glob.total_cost == D("0.135")
    assert reg.total_cost == D("0.1485")


def test_vertex_sonnet_4_5_long_context_tier_and_dated_alias(registry):
    # Vertex Sonnet 4.5: prompts over 200K bill the whole request at $6 in / $22.50 out per 1M.
    #   250,000 x 6 = 1,500,000 ; 1,000 x 22.50 = 22,500 ; 1,522,500 / 1M = 1.5225
    e = estimate(None, "vertex:claude-sonnet-4-5-20250929", prompt_tokens=250_000, response_tokens=1_000,
                 as_of=dt.date(2026, 11, 1), registry=registry)
    assert e.model == "vertex:claude-sonnet-4-5"
    assert e.total_cost == D("1.5225")


def test_vertex_batch_is_half_of_standard(registry):
    # Vertex Opus 4.8 batch: half of $5 / $25 = $2.50 / $12.50 per 1M.
    #   400,000 x 2.50 + 40,000 x 12.50 = 1,000,000 + 500,000 = 1,500,000 / 1M = 1.5
    e = estimate(None, "vertex:claude-opus-4-8", prompt_tokens=400_000, response_tokens=40_000, batch=True,
                 as_of=TODAY, registry=registry)
    assert e.total_cost == D("1.5")


def test_vertex_opus_4_6_tier_ends_at_the_1m_context_ga(registry):
    # Before 2026-03-13, >200K prompts cost $10 / $37.50 per 1M for the whole request; after, flat $5 / $25.
    #   before: 300,000 x 10 + 1,000 x 37.50 = 3,000,000 + 37,500 = 3.0375
    #   after:  300,000 x 5 + 1,000 x 25 = 1,500,000 + 25,000 = 1.525
    before = estimate(None, "vertex:claude-opus-4-6", prompt_tokens=300_000, response_tokens=1_000,
                      as_of=dt.date(2026, 3, 1), registry=registry)
    after = estimate(None, "vertex:claude-opus-4-6", prompt_tokens=300_000, response_tokens=1_000,
                     as_of=TODAY, registry=registry)
    assert before.total_cost == D("3.0375")
    assert after.total_cost == D("1.525")


# ------------------------------------------------------------------------------------- Azure OpenAI

def test_azure_gpt_5_4_prompt_over_272k_is_billed_at_the_long_context_rate(registry):
    # Azure Retail Prices, GPT-5.4 Global: '5.4 longco inp' $5, '5.4 longco opt' $22.50 per 1M, for the
    # whole request once the prompt passes 272K tokens (OpenAI's rule, mirrored from openai.toml).
    #   300,000 x 5 = 1,500,000 ; 10,000 x 22.50 = 225,000 ; 1,725,000 / 1M = 1.725
    long = estimate(None, "azure-openai:gpt-5.4", prompt_tokens=300_000, response_tokens=10_000,
                    as_of=TODAY, registry=registry)
    assert long.tier is not None and "272,000" in long.tier
    assert long.total_cost == D("1.725")
    # At exactly 272,000 prompt tokens the short-context meters apply: $2.50 in / $15 out.
    #   272,000 x 2.50 = 680,000 ; 10,000 x 15 = 150,000 ; 830,000 / 1M = 0.83
    short = estimate(None, "azure-openai:gpt-5.4", prompt_tokens=272_000, response_tokens=10_000,
                     as_of=TODAY, registry=registry)
    assert short.tier is None
    assert short.total_cost == D("0.83")


def test_azure_gpt_5_5_long_context_with_cache_hits_and_batch(registry):
    # '5.5 LongCo' Global: input $10, cached input $1, output $45; batch input $5, output $22.50.
    #   standard: 200,000 fresh x 10 + 100,000 cached x 1 + 5,000 x 45
    #             = 2,000,000 + 100,000 + 225,000 = 2,325,000 / 1M = 2.325
    e = estimate(None, "azure-openai:gpt-5.5", prompt_tokens=300_000, cached_tokens=100_000,
                 response_tokens=5_000, as_of=TODAY, registry=registry)
    assert e.total_cost == D("2.325")
    #   batch (cached tokens stay at the standard cache rate): 200,000 x 5 + 100,000 x 1 + 5,000 x 22.50
    #             = 1,000,000 + 100,000 + 112,500 = 1,212,500 / 1M = 1.2125
    b = estimate(None, "azure-openai:gpt-5.5", prompt_tokens=300_000, cached_tokens=100_000,
                 response_tokens=5_000, batch=True, as_of=TODAY, registry=registry)
    assert b.total_cost == D("1.2125")


def test_azure_gpt_5_6_launch_meters(registry):
    # '5.6 terra ShortCo' Global Standard: $2.50 in, $0.25 cached, $3.125 cache write, $15 out per 1M.
    #   10,000 fresh x 2.50 + 5,000 cached x 0.25 + 5,000 written x 3.125 + 1,000 x 15
    #   = 25,000 + 1,250 + 15,625 + 15,000 = 56,875 / 1M = 0.056875
    e = estimate(None, "azure-openai:gpt-5.6-terra", prompt_tokens=20_000, cached_tokens=5_000,
                 cache_write_tokens=5_000, response_tokens=1_000, as_of=TODAY, registry=registry)
    assert e.total_cost == D("0.056875")
    # Data Zone +10%: 0.056875 x 1.1 = 0.0625625
    dz = estimate(None, "azure-openai:gpt-5.6-terra", prompt_tokens=20_000, cached_tokens=5_000,
                  cache_write_tokens=5_000, response_tokens=1_000, uplift="data-zone", as_of=TODAY,
                  registry=registry)
    assert dz.total_cost == D("0.0625625")
    # the bare 'gpt-5.6' still means OpenAI's own Sol; Azure's is named with its provider
    assert registry.get("azure-openai:gpt-5.6", as_of=TODAY).key == "azure-openai:gpt-5.6-sol"
    assert registry.get("gpt-5.6", as_of=TODAY).key == "openai:gpt-5.6-sol"


# ------------------------------------------------------------------------------------------------ CLI

def _cli(*args: str) -> tuple[int, str]:
    code, out, _ = run_cli(*args)
    return code, out


def test_models_command_lists_the_new_bedrock_and_vertex_entries():
    code, out = _cli("models", "--provider", "bedrock", "--format", "json", "--as-of", "2026-12-02")
    assert code == 0
    rows = {r["model"]: r for r in json.loads(out)["rows"]}
    for model in ("claude-sonnet-4-5", "claude-sonnet-4-5-regional", "claude-opus-5-5", "claude-opus-5-5-regional",
                  "claude-haiku-5-5-regional", "claude-opus-4-1", "llama-3.1-70b"):
        assert model in rows, model
    # $4 global x 1.1 = $4.40 per 1M on the regional profile
    assert D(rows["claude-opus-5-5-regional"]["input_per_1m"]) == D("4.40")
    assert D(rows["claude-opus-5-5"]["input_per_1m"]) == D("4")
    code, out = _cli("models", "--provider", "vertex", "--format", "json", "--as-of", "2026-12-02")
    assert code == 0
    assert {"claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-4-1"} <= {r["model"] for r in json.loads(out)["rows"]}


def test_vertex_log_spellings_with_an_at_sign_resolve(registry):
    assert registry.resolve("vertex:claude-sonnet-4-5@20250929") == "vertex:claude-sonnet-4-5"


def test_claude_at_every_host_uses_the_tokenizer_anthropics_own_entry_uses(registry):
    checked = 0
    for key in registry.keys():
        provider, _, model = key.partition(":")
        if provider in ("bedrock", "vertex") and model.startswith("claude-"):
            own = f"anthropic:{model.removesuffix('-regional')}"
            if own in registry.keys():
                assert registry.tokenizer_of(key) == registry.tokenizer_of(own), key
                checked += 1
    assert checked >= 20
