"""The price registry: shipped data, lookups, history, overrides, and errors that name the problem."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencost.errors import BadInputError, PriceFileError, UnknownModelError
from tokencost.registry import (
    RATE_FIELDS,
    Registry,
    load_registry,
    per_tokens,
    pricing_files,
    read_price_file,
    shipped_pricing_dir,
    stale,
    validate_files,
)
from tokencost.schema import PriceFile

SHIPPED = pricing_files([shipped_pricing_dir()])

MINI = """
schema_version = 1
[provider]
id = "acme"
name = "Acme AI"

[[conversions]]
unit = "CREDIT"
rate = 3.00
source = "https://acme.example/pricing"
checked = 2026-01-01

[[models]]
id = "acme-large"
name = "Acme Large"
aliases = ["large", "acme-large-2025"]
tokenizer = "o200k_base"
context_window = 128000

[[models.prices]]
effective = 2024-01-01
unit = "1K"
input = 0.03
output = 0.06
source = "https://acme.example/launch"
checked = 2026-01-01

[[models.prices]]
effective = 2025-01-01
unit = "1M"
input = 2.50
output = 10.00
cache_read = 1.25
source = "https://acme.example/pricing"
checked = 2026-01-01

[[models]]
id = "acme-credits"
name = "Acme Credits"
tokenizer = "llama3"
context_window = 8000

[[models.prices]]
effective = 2025-06-01
unit = "1M"
currency = "CREDIT"
input = 0.5
output = 0.5
source = "https://acme.example/credits"
checked = 2026-01-01
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def acme(tmp_path) -> Registry:
    return load_registry([write(tmp_path, "acme.toml", MINI)], shipped=False)


# --- the shipped data -------------------------------------------------------------------------

def test_shipped_files_exist_and_all_validate():
    assert len(SHIPPED) >= 10
    assert validate_files([]) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_price_period_has_an_https_source_and_a_checked_date(path):
    price_file = read_price_file(path)
    for model in price_file.models:
        for period in model.prices:
            assert period.source.startswith("https://"), (model.id, period.effective)
            assert isinstance(period.checked, dt.date)
            assert period.checked <= dt.date.today()
            assert not period.source.startswith("https://acme"), "test fixture leaked into shipped data"
    for conversion in price_file.conversions:
        assert conversion.source.startswith("https://")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_parse_prices_as_exact_decimals(path):
    with open(path, "rb") as fh:
        raw = tomllib.load(fh, parse_float=Decimal)
    for model in raw.get("models", []):
        for period in model["prices"]:
            for name in RATE_FIELDS:
                value = period.get(name)
                assert value is None or isinstance(value, (Decimal, int)), (model["id"], name)


def test_every_provider_the_articles_name_is_in_the_shipped_data():
    providers = {p.id for p in load_registry().providers}
    named = {"openai", "azure-openai", "vertex", "anthropic", "bedrock", "groq", "databricks",
             "snowflake", "nvidia", "azure-ai", "mistral", "alibaba", "dell"}
    assert named <= providers


def test_shipped_gpt35_turbo_launch_price_is_two_tenths_of_a_cent_per_1k_and_gpt4_is_not():
    registry = load_registry()
    launch = registry.get("openai:gpt-3.5-turbo", as_of=dt.date(2023, 3, 2))
    assert launch.input_per_1k == Decimal("0.002") and launch.output_per_1k == Decimal("0.002")
    gpt4 = registry.get("openai:gpt-4", as_of=dt.date(2023, 3, 15))
    assert gpt4.input_per_1k == Decimal("0.03") and gpt4.output_per_1k == Decimal("0.06")


def test_credit_priced_providers_state_their_conversion_to_dollars():
    registry = load_registry()
    for provider in ("snowflake", "databricks"):
        for priced in registry.models(provider):
            if priced.currency != "USD":
                assert priced.conversion is not None and priced.conversion.to == "USD"
                assert priced.input_per_1m_usd == priced.input_per_1m * priced.conversion.rate


def test_dell_is_a_hardware_vendor_with_no_token_prices():
    registry = load_registry()
    assert registry.provider("dell").kind == "hardware"
    assert registry.models("dell") == []


# --- unit conversion -------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=Decimal("1000"), places=6, allow_nan=False, allow_infinity=False)


@given(prices)
def test_a_per_1k_price_converts_to_per_1m_exactly_and_back(value):
    per_1m = value * 1000  # what loading a 1K-quoted file does
    assert per_tokens(per_1m, 1_000) == value


@given(prices, st.integers(min_value=1, max_value=10**9))
def test_converting_to_any_token_count_is_proportional_and_exact(value, tokens):
    assert per_tokens(value, tokens) * 1_000_000 == value * tokens


def test_rates_come_back_per_1k_and_per_1m_in_decimal(acme):
    priced = acme.get("acme:acme-large", as_of=dt.date(2025, 6, 1))
    assert priced.input_per_1m == Decimal("2.50") and priced.input_per_1k == Decimal("0.0025")
    assert priced.output_per_1k == Decimal("0.01")
    assert priced.cache_read_per_1m == Decimal("1.25")
    assert priced.currency == "USD"
    assert all(isinstance(v, Decimal) for v in (priced.input_per_1k, priced.output_per_1m))


def test_credit_prices_are_kept_in_credits_and_converted_with_the_stated_rate(acme):
    priced = acme.get("acme-credits")
    assert priced.currency == "CREDIT" and priced.input_per_1m == Decimal("0.5")
    assert priced.input_per_1m_usd == Decimal("1.500")


# --- history ---------------------------------------------------------------------------------

def test_history_lookup_picks_the_period_in_force_at_each_boundary(acme):
    assert acme.get("large", as_of=dt.date(2024, 1, 1)).input_per_1k == Decimal("0.03")
    assert acme.get("large", as_of=dt.date(2024, 12, 31)).input_per_1k == Decimal("0.03")
    assert acme.get("large", as_of=dt.date(2025, 1, 1)).input_per_1k == Decimal("0.0025")
    assert acme.get("large").effective == dt.date(2025, 1, 1)


def test_a_date_before_the_first_price_is_an_error_naming_the_first_period(acme):
    with pytest.raises(BadInputError, match="first price period starts 2024-01-01"):
        acme.get("acme-large", as_of=dt.date(2023, 12, 31))


def test_models_listing_leaves_out_models_not_yet_priced_on_the_date(acme):
    assert [p.key for p in acme.models(as_of=dt.date(2025, 1, 1))] == ["acme:acme-large"]
    assert len(acme.models()) == 2


# --- lookup ----------------------------------------------------------------------------------

def test_lookup_by_key_bare_id_and_alias_is_case_insensitive(acme):
    for ref in ("acme:acme-large", "ACME:Acme-Large", "acme-large", "large", "acme:acme-large-2025"):
        assert acme.get(ref).key == "acme:acme-large"


def test_unknown_model_suggests_close_names(acme):
    with pytest.raises(UnknownModelError, match="did you mean.*acme-large"):
        acme.get("acme-lrage")


def test_unknown_provider_suggests_close_names(acme):
    with pytest.raises(UnknownModelError, match="unknown provider 'acmee'.*did you mean acme"):
        acme.get("acmee:acme-large")


def test_ambiguous_bare_id_lists_the_candidates(tmp_path):
    other = MINI.replace('id = "acme"', 'id = "hostco"').replace('name = "Acme AI"', 'name = "Host"')
    other = other.replace('tokenizer = "o200k_base"', 'family = "acme-large"\ntokenizer = "o200k_base"')
    registry = load_registry([write(tmp_path, "a.toml", MINI), write(tmp_path, "h.toml", other)], shipped=False)
    # the maker's own entry (no family) wins for acme-large ...
    assert registry.get("acme-large").key == "acme:acme-large"
    # ... but acme-credits is sold by both with no maker entry distinguished
    with pytest.raises(UnknownModelError, match="ambiguous.*acme:acme-credits, hostco:acme-credits"):
        registry.get("acme-credits")


def test_shipped_bare_ids_resolve_to_the_maker():
    registry = load_registry()
    assert registry.get("gpt-4o").key == "openai:gpt-4o"
    assert registry.get("claude-sonnet-4-5").key == "anthropic:claude-sonnet-4-5"
    with pytest.raises(UnknownModelError, match="ambiguous"):
        registry.get("llama-3.3-70b")


# --- overrides -------------------------------------------------------------------------------

def test_user_file_overrides_a_model_without_touching_the_shipped_file(tmp_path):
    shipped = (shipped_pricing_dir() / "openai.toml").read_bytes()
    override = write(tmp_path, "deal.toml", """
schema_version = 1
[provider]
id = "openai"
name = "OpenAI (our negotiated rates)"
[[models]]
id = "gpt-4o"
name = "GPT-4o (negotiated)"
tokenizer = "o200k_base"
context_window = 128000
[[models.prices]]
effective = 2024-01-01
unit = "1M"
input = 1.00
output = 4.00
source = "https://intranet.example.com/contracts/openai"
checked = 2026-11-01
""")
    registry = load_registry([override])
    assert registry.get("openai:gpt-4o").input_per_1m == Decimal("1.00")
    assert registry.get("openai:gpt-4o-mini").provider == "openai"  # the rest still there
    assert (shipped_pricing_dir() / "openai.toml").read_bytes() == shipped


def test_pricing_path_environment_variable_adds_files(tmp_path, monkeypatch):
    path = write(tmp_path, "acme.toml", MINI)
    monkeypatch.setenv("TOKENCOST_PRICING_PATH", str(tmp_path))
    assert load_registry().get("acme:large").key == "acme:acme-large"
    assert path in load_registry().files


def test_a_missing_override_file_is_a_bad_input_error(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        load_registry([tmp_path / "nope.toml"])


# --- malformed files -------------------------------------------------------------------------

def test_malformed_file_names_file_model_and_field_of_every_problem(tmp_path):
    bad = MINI.replace("input = 0.03", "input = -0.03").replace("output = 10.00", "outptu = 10.00")
    path = write(tmp_path, "bad.toml", bad)
    with pytest.raises(PriceFileError) as info:
        load_registry([path], shipped=False)
    problems = info.value.problems
    assert any(str(path) in p and "model 'acme-large'" in p and "prices[0].input" in p and "greater than" in p
               for p in problems)
    assert any("prices[1].outptu" in p and "unknown field" in p for p in problems)
    assert any("prices[1].output" in p and "missing" in p for p in problems)


def test_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "broken.toml", "[provider\nid = 1")
    with pytest.raises(PriceFileError, match="broken.toml: not valid TOML"):
        read_price_file(path)


@pytest.mark.parametrize("mutation, message", [
    (('tokenizer = "o200k_base"', 'tokenizer = "gpt2"'), "unknown tokenizer 'gpt2'"),
    (('unit = "1K"', 'unit = "1000"'), "prices[0].unit"),
    (('source = "https://acme.example/launch"', 'source = "acme.example"'), "prices[0].source"),
    (('effective = 2025-01-01', 'effective = 2023-01-01'), "strictly ascending"),
    (('currency = "CREDIT"', 'currency = "TOKENS"'), "neither an ISO code"),
    (('aliases = ["large", "acme-large-2025"]', 'aliases = ["acme-credits"]'), "used by both"),
])
def test_each_kind_of_mistake_is_reported(tmp_path, mutation, message):
    path = write(tmp_path, "x.toml", MINI.replace(*mutation))
    problems = validate_files([path])
    assert problems and any(message in p for p in problems), problems


def test_schema_round_trips_through_dump_and_validate(tmp_path):
    price_file = read_price_file(write(tmp_path, "acme.toml", MINI))
    again = PriceFile.model_validate(price_file.model_dump())
    assert again == price_file == PriceFile.model_validate(price_file.model_dump(by_alias=True))
    assert again.models[0].prices[0].input == Decimal("30")  # $0.03 per 1K, held per 1M
    assert again.models[0].prices[0].quoted_per == "1K"


# --- staleness --------------------------------------------------------------------------------

def test_stale_lists_entries_checked_longer_ago_than_the_limit(acme):
    assert [p.key for p in stale(acme, 90, today=dt.date(2026, 4, 1))] == []  # exactly 90 days
    assert len(stale(acme, 90, today=dt.date(2026, 4, 2))) == 2
    with pytest.raises(BadInputError):
        stale(acme, -1)


def test_a_provider_qualified_lookup_parses_only_that_providers_file():
    registry = load_registry()
    registry.get("openai:gpt-4o")
    assert [p.name for p in registry.files] == ["openai.toml"]
    registry.get("gpt-4o")  # a bare id needs every file
    assert len(registry.files) == len(SHIPPED)


def test_user_entries_win_whichever_order_the_files_are_parsed_in(tmp_path):
    path = write(tmp_path, "openai.toml", MINI.replace('id = "acme"', 'id = "openai"').replace(
        'id = "acme-large"', 'id = "gpt-4o"'))
    lazy = load_registry([path])
    assert lazy.get("openai:gpt-4o").name == "Acme Large"        # shipped openai.toml parsed after
    eager = load_registry([path])
    eager.keys()
    assert eager.get("gpt-4o").name == "Acme Large"
    assert eager.get("openai:gpt-4o-mini").provider == "openai"


def test_parsed_price_files_are_cached_but_a_changed_file_is_read_again(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(tmp_path / "cache"))
    path = write(tmp_path, "acme.toml", MINI)
    first = read_price_file(path)
    assert any(p.name.startswith("toml-") for p in (tmp_path / "cache").iterdir())
    assert read_price_file(path) == first  # from the cache
    path.write_text(MINI.replace("input = 0.03", "input = 0.04"))
    os.utime(path, ns=(1, 1))  # a changed file, even with an old timestamp, has another size or mtime
    assert read_price_file(path).models[0].prices[0].input == Decimal("40")


def test_a_cache_directory_others_can_write_is_not_trusted(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", str(cache))
    path = write(tmp_path, "acme.toml", MINI)
    assert read_price_file(path).models[0].prices[0].input == Decimal("30")
    assert not any(p.name.startswith("toml-") for p in cache.iterdir())
