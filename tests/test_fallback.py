"""Fallback prices from genai-prices: same objects as curated prices, same money as genai-prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import genai_prices  # noqa: E402 - in the test extra: a missing install fails, never skips

from genai_prices import Usage as GUsage  # noqa: E402
from genai_prices import calc_price  # noqa: E402
from genai_prices import types as gt  # noqa: E402
from genai_prices.data import providers as GP_PROVIDERS  # noqa: E402

from tokencost import fallback  # noqa: E402
from tokencost.errors import BadInputError  # noqa: E402
from tokencost.errors import ContextWindowError  # noqa: E402
from tokencost.estimator import price  # noqa: E402
from tokencost.usage import Usage  # noqa: E402
from tokencost.registry import Priced  # noqa: E402

VERSION = genai_prices.__version__
TODAY = dt.date.today()


def _gp_model(provider_id: str, model_id: str):
    provider = next(p for p in GP_PROVIDERS if p.id == provider_id)
    return provider, next(m for m in provider.models if m.id == model_id)


def _windows(model) -> list:
    conds = [] if isinstance(model.prices, gt.ModelPrice) else model.prices
    return [c.constraint for c in conds if isinstance(c.constraint, gt.TimeOfDateConstraint)]


# --- lookups ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["deepseek:deepseek-chat", "deepseek-chat", "DeepSeek:deepseek-chat "])
def test_provider_prefixed_and_bare_ids(ref):
    p = fallback.fallback_priced(ref)
    assert isinstance(p, Priced)
    assert p.key == "deepseek:deepseek-chat" and p.currency == "USD"
    assert p.source == "https://api-docs.deepseek.com/quick_start/pricing"
    assert f"price from genai-prices {VERSION} (fallback, not curated)" in p.period.note
    assert fallback.fallback_source(p) == f"genai-prices {VERSION}: {p.source}"
    assert p.tokenizer == "approx:chars"


def test_xai_and_openrouter_ids():
    grok = fallback.fallback_priced("x-ai:grok-4")
    assert grok is not None and grok.provider == "x-ai" and grok.id.startswith("grok-4")
    _, model = _gp_model("x-ai", "grok-4-0709")
    assert grok.input_per_1m == model.get_prices(dt.datetime.now(dt.UTC)).input_mtok
    via_openrouter = fallback.fallback_priced("deepseek/deepseek-chat")
    assert via_openrouter is not None and via_openrouter.key == "openrouter:deepseek/deepseek-chat"
    assert via_openrouter.source.startswith("https://openrouter.ai")
    assert fallback.fallback_priced("openrouter:deepseek/deepseek-chat").key == via_openrouter.key


def test_unknown_model_is_none_and_known_tokenizers_are_used():
    assert fallback.fallback_priced("no-such-model-anywhere-42") is None
    assert fallback.fallback_priced("deepseek:no-such-model") is None
    assert fallback.fallback_priced("openai:gpt-4o").tokenizer == "o200k_base"
    assert fallback.fallback_priced("meta-llama/llama-3.1-405b-instruct").tokenizer == "llama3"
    with pytest.raises(BadInputError):
        fallback.fallback_priced(None)  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="as_of"):
        fallback.fallback_priced("deepseek-chat", "2025-01-01")  # type: ignore[arg-type]


def test_curated_registry_is_untouched_by_the_fallback():
    from tokencost.errors import UnknownModelError
    from tokencost.registry import load_registry

    registry = load_registry()
    with pytest.raises(UnknownModelError):  # no opt-in: an unknown model stays an error
        registry.get("deepseek:deepseek-chat")
    curated = registry.get("openai:gpt-4o")
    assert curated.fallback is None and fallback.fallback_source(curated) is None


def test_checked_date_and_history():
    p = fallback.fallback_priced("deepseek-chat")
    starts = [c.constraint.start_date for prov in GP_PROVIDERS for m in prov.models
              for c in ([] if isinstance(m.prices, gt.ModelPrice) else m.prices)
              if isinstance(c.constraint, gt.StartDateConstraint) and c.constraint.start_date <= TODAY]
    assert max(starts) <= p.as_of <= TODAY
    # a model with a recorded price change has a period per price, and as_of picks the right one
    provider, model = next((prov, m) for prov in GP_PROVIDERS for m in prov.models
                           if not isinstance(m.prices, gt.ModelPrice) and not _windows(m)
                           and len({str(c.prices) for c in m.prices}) > 1
                           and any(isinstance(c.constraint, gt.StartDateConstraint) for c in m.prices)
                           and all(k in fallback.CARRIED for c in m.prices for k, v in vars(c.prices).items()
                                   if v is not None))
    ref = f"{provider.id}:{model.id}"
    entry = fallback.fallback_priced(ref).model
    assert len(entry.prices) >= 2 and entry.prices[0].effective == fallback.FIRST_PERIOD_START
    for period in entry.prices:
        day = period.effective
        expected = model.get_prices(dt.datetime.combine(day, dt.time(12), dt.UTC))
        got = fallback.fallback_priced(ref, day)
        assert got.period == period
        base = expected.input_mtok.base if isinstance(expected.input_mtok, gt.TieredPrices) else expected.input_mtok
        assert got.input_per_1m == base


def test_bundled_data_only_never_an_update(monkeypatch):
    from genai_prices import data_snapshot, update_prices

    def no_network(*args, **kwargs):
        raise AssertionError("genai-prices' updater must not run")

    monkeypatch.setattr(update_prices.UpdatePrices, "start", no_network)
    before = fallback.fallback_priced("x-ai:grok-4")
    # a snapshot installed by genai-prices' updater elsewhere in the process is ignored
    monkeypatch.setattr(data_snapshot, "_custom_snapshot", data_snapshot.DataSnapshot([], from_auto_update=True))
    assert fallback.fallback_priced("x-ai:grok-4") == before


def test_listing():
    models = fallback.fallback_models()
    keys = [p.key for p in models]
    assert keys == sorted(keys) and "deepseek:deepseek-chat" in keys and len(keys) > 500
    refusals = fallback.fallback_refusals()
    assert not set(refusals) & set(keys)
    for key, reason in list(refusals.items())[:20]:
        with pytest.raises(BadInputError) as exc:
            fallback.fallback_priced(key)
        assert str(exc.value) == reason


# --- conversion rules on genai-prices' own types ------------------------------------------------


def _model(prices, **kw) -> tuple:
    model = gt.ModelInfo(id="test-model", match=gt.ClauseEquals(equals="test-model"), prices=prices, **kw)
    provider = gt.Provider(id="test_provider", name="Test", api_pattern="x", pricing_urls=["https://example.com/p"],
                           models=[model])
    return provider, model


def test_tiers_become_whole_request_tiers():
    tiered = gt.TieredPrices(base=Decimal("1.25"), tiers=[gt.Tier(start=200_000, price=Decimal("2.5"))])
    provider, model = _model(gt.ModelPrice(input_mtok=tiered, output_mtok=Decimal("10"),
                                           cache_read_mtok=Decimal("0.125")))
    info, entry = fallback._entry(provider, model)
    assert info.id == "test_provider" and entry.context_window == fallback.UNKNOWN_CONTEXT_WINDOW
    (tier,) = entry.prices[0].tiers
    assert (tier.above_prompt_tokens, tier.rule, tier.input, tier.output, tier.cache_read) == (
        200_000, "whole_request", Decimal("2.5"), Decimal("10"), Decimal("0.125"))


@pytest.mark.parametrize("key", ["requests_kcount", "input_mchars", "output_reasoning_mtok"])
def test_prices_that_would_misprice_are_refused(key):
    provider, model = _model(gt.ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2), **{key: Decimal(3)}))
    with pytest.raises(BadInputError, match=key):
        fallback._entry(provider, model)


def test_other_modalities_are_noted_not_priced():
    provider, model = _model(gt.ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2),
                                           input_audio_mtok=Decimal(40), web_searches_kcount=Decimal(10)))
    _, entry = fallback._entry(provider, model)
    assert "input_audio_mtok, web_searches_kcount" in entry.prices[0].note


def test_time_of_day_prices_peak_default_off_peak_tier():
    cheap = gt.ModelPrice(input_mtok=Decimal("0.1"), output_mtok=Decimal("0.4"))
    peak = gt.ModelPrice(input_mtok=Decimal("0.2"), output_mtok=Decimal("0.8"))
    window = gt.TimeOfDateConstraint(start_time=dt.time(1, tzinfo=dt.UTC), end_time=dt.time(4, tzinfo=dt.UTC))
    provider, model = _model([gt.ConditionalPrice(prices=cheap), gt.ConditionalPrice(constraint=window, prices=peak)])
    _, entry = fallback._entry(provider, model)
    period = entry.prices[0]
    assert (period.input, period.output) == (Decimal("0.2"), Decimal("0.8"))
    assert period.service_tiers["off-peak"].input == Decimal("0.1") and "01:00-04:00" in period.note
    # a "window" that is cheaper than the rest is not what the off-peak tier can say: refused
    provider, model = _model([gt.ConditionalPrice(prices=peak), gt.ConditionalPrice(constraint=window, prices=cheap)])
    with pytest.raises(BadInputError, match="time of day"):
        fallback._entry(provider, model)


# --- money: equal to genai-prices' own calc_price, to the last digit ---------------------------

_ALL = fallback.fallback_models()
_TIERED = [p for p in _ALL if any(period.tiers for period in p.model.prices)]
_HISTORY = [p for p in _ALL if len(p.model.prices) > 1]
_TIMED = [p for p in _ALL if p.period.service_tiers.get("off-peak")]


def _gp_for(priced: Priced):
    for provider in GP_PROVIDERS:
        for model in provider.models:
            if fallback._clean_id(provider.id) == priced.provider and fallback._clean_id(model.id) == priced.id:
                return provider, model
    raise AssertionError(priced.key)


def _edges(priced: Priced) -> list[int]:
    """Prompt sizes at and around the model's tier thresholds."""
    return sorted({t.above_prompt_tokens + d for period in priced.model.prices for t in period.tiers
                   for d in (-1, 0, 1, 2)}) or [0]


@st.composite
def usages(draw, edges=(0,)):
    prompt = draw(st.integers(0, 2_000_000) | st.sampled_from(list(edges)))
    cached = draw(st.integers(0, prompt))
    write = draw(st.integers(0, prompt - cached))
    return prompt, cached, write, draw(st.integers(0, 300_000))


def _assert_same_money(priced: Priced, usage: tuple, day: dt.date):
    provider, model = _gp_for(priced)
    prompt, cached, write, output = usage
    windows = _windows(model)
    moments = [(dt.time(12), None)]
    if windows:  # at a peak hour the plain price; outside every window the off-peak tier
        moments = [(windows[0].start_time.replace(tzinfo=None), None)]
        off = next(dt.time(h) for h in range(24)
                   if not any(w.active(dt.datetime.combine(day, dt.time(h), dt.UTC)) for w in windows))
        moments.append((off, "off-peak"))
    p = fallback.fallback_priced(priced.key, day)
    assert p is not None and p.key == priced.key
    if prompt > p.context_window:  # a prompt the model cannot take is an error, not a price
        with pytest.raises(ContextWindowError):
            price(p, Usage(input_tokens=prompt, output_tokens=output))
        return
    for moment, tier in moments:
        ours = price(p, Usage(input_tokens=prompt, output_tokens=output, cached_tokens=cached,
                              cache_write_tokens=write, service_tier=tier))
        theirs = calc_price(GUsage(input_tokens=prompt, output_tokens=output, cache_read_tokens=cached,
                                   cache_write_tokens=write),
                            model_ref=priced.id, provider_id=provider.id,
                            genai_request_timestamp=dt.datetime.combine(day, moment, dt.UTC))
        assert theirs.model is model
        assert ours.total_cost == theirs.total_price, (priced.key, day, moment, usage)


@given(st.sampled_from(_ALL), usages(), st.dates(dt.date(2023, 1, 1), TODAY))
def test_equals_genai_prices_calc_price_any_model(priced, usage, day):
    _assert_same_money(priced, usage, day)


@given(st.data(), st.dates(dt.date(2023, 1, 1), TODAY))
def test_equals_genai_prices_calc_price_tiered(data, day):
    priced = data.draw(st.sampled_from(_TIERED))
    _assert_same_money(priced, data.draw(usages(_edges(priced))), day)


@given(st.sampled_from(_HISTORY), usages(), st.sampled_from([-1, 0, 1]))
def test_equals_genai_prices_calc_price_around_price_changes(priced, usage, offset):
    for period in priced.model.prices[1:]:
        _assert_same_money(priced, usage, period.effective + dt.timedelta(days=offset))


@pytest.mark.parametrize("priced", _TIMED, ids=lambda p: p.key)
@given(usage=usages())
def test_equals_genai_prices_calc_price_time_of_day(priced, usage):
    _assert_same_money(priced, usage, TODAY)


# --- the opt-in, end to end ----------------------------------------------------------------------

def test_without_the_opt_in_an_unknown_model_stays_an_error_with_did_you_mean(monkeypatch):
    from tokencost.errors import UnknownModelError
    from tokencost.registry import load_registry

    monkeypatch.delenv("TOKENCOST_FALLBACK_PRICES", raising=False)
    with pytest.raises(UnknownModelError, match="unknown"):
        load_registry().get("deepseek:deepseek-chat")


def test_with_the_opt_in_a_missing_model_is_priced_and_labelled_and_curated_entries_win(monkeypatch):
    from tokencost.registry import load_registry

    registry = load_registry(fallback="genai-prices")
    priced = registry.get("deepseek:deepseek-chat")
    assert priced.fallback.startswith("genai-prices ") and priced.source_text.startswith("genai-prices ")
    est = price(priced, Usage(input_tokens=1000, output_tokens=100))
    assert est.source.startswith("genai-prices ") and est.total_cost > 0
    assert registry.get("openai:gpt-4o").fallback is None  # curated wins
    monkeypatch.setenv("TOKENCOST_FALLBACK_PRICES", "genai-prices")
    assert load_registry().get("deepseek-chat").fallback


def test_the_cli_opt_in_prices_a_model_outside_the_curated_set():
    from conftest import run_cli

    code, out, err = run_cli("estimate", "-", "-m", "deepseek:deepseek-chat", "--fallback-prices", "genai-prices",
                             "--response-tokens", "10", "--format", "json", input="Hello there")
    assert code == 0, err
    [row] = __import__("json").loads(out)["rows"]
    assert row["source"].startswith("genai-prices ") and row["count"] == "approximate"
    code, _, err = run_cli("estimate", "-", "-m", "deepseek:deepseek-chat", input="Hello there")
    assert code == 2 and "unknown" in err
