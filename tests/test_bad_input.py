"""Bad input gets a clear one-line error and exit 2; no silently wrong number (issue #8)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import tokencost
from conftest import run_cli as invoke
from tokencost import estimator
from tokencost.errors import BadInputError, ContextWindowError, PriceFileError, TokencostError
from tokencost.registry import load_registry
from tokencost.usage import Usage

ROOT = Path(__file__).resolve().parent.parent
PROMPT = str(ROOT / "examples" / "prompt.txt")


# --- the trim prices exactly the request the other options describe ------------------------

@pytest.mark.parametrize("options", [
    dict(reasoning_tokens=400, response_tokens=300),
    dict(service_tier="flex", response_tokens=300),
    dict(response_ratio=Decimal("0.5")),
    dict(response="A response of a few words, counted.", ),
    dict(cache_write_tokens=100, response_tokens=300),
    dict(batch=True, response_tokens=300, requests=1000),
])
def test_a_trims_before_is_exactly_the_plain_estimate_with_the_same_options(options):
    prompt = Path(PROMPT).read_text(encoding="utf-8")
    plain = estimator.compare(prompt, ["openai:gpt-5.4"], **options)
    [trim] = estimator.trim_saving(prompt, ["openai:gpt-5.4"], trim=Decimal("0.1"), **options)
    assert trim.before == plain[0]
    assert trim.after.reasoning_tokens == plain[0].reasoning_tokens
    assert trim.after.total_cost < trim.before.total_cost


def test_the_readme_trim_with_a_response_includes_self_hosted_rows(invoke):
    code, out, err = invoke("estimate", PROMPT, "--trim", "0.10", "--response-tokens", "300", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert any(r["provider"] == "self-hosted" for r in rows)


# --- what a model cannot take is not a price -----------------------------------------------

def test_a_prompt_longer_than_the_context_window_is_an_error_not_a_price():
    with pytest.raises(ContextWindowError, match="128,000-token context window"):
        tokencost.price("openai:gpt-4o", Usage(input_tokens=48_700_000, output_tokens=10))
    with pytest.raises(ContextWindowError, match="maximum of"):
        tokencost.price("openai:gpt-4o", Usage(input_tokens=10, output_tokens=10_000_000))


def test_the_default_comparison_leaves_out_models_a_long_prompt_does_not_fit_and_says_so():
    result = estimator.compare(None, prompt_tokens=300_000, response_tokens=10, selfhost=False)
    assert result and all(e.input_tokens <= 300_000 for e in result)
    assert any("openai:gpt-4o:" in reason for reason in result.left_out)
    assert "openai:gpt-4o" not in {e.model for e in result}


# --- an override changes prices, never what other names mean -----------------------------

OVERRIDE = """
schema_version = 1
[provider]
id = "openai"
name = "OpenAI (our contract)"
[[models]]
id = "gpt-4o"
name = "GPT-4o, negotiated"
tokenizer = "o200k_base"
context_window = 128000
[[models.prices]]
effective = 2024-01-01
unit = "1M"
input = 2
output = 8
source = "https://example.com/our-contract"
checked = 2026-11-30
"""


def test_an_override_without_the_shipped_aliases_keeps_them_pointing_at_the_same_model(tmp_path):
    shipped = load_registry()
    # An OpenAI model one of whose aliases Azure OpenAI also uses: without the fix, an override that
    # does not repeat the alias sends it to Azure.
    key, alias = next((k, a) for k in shipped.keys() if k.startswith("openai:")
                      for a in shipped.get(k, as_of=dt.date(2026, 12, 1)).model.aliases
                      if f"azure-openai:{a}" in shipped.keys() or any(
                          a in shipped.get(z, as_of=dt.date(2026, 12, 1)).model.aliases
                          for z in shipped.keys() if z.startswith("azure-openai:")))
    path = tmp_path / "mine.toml"
    path.write_text(OVERRIDE.replace('id = "gpt-4o"', f'id = "{key.split(":")[1]}"'))
    registry = load_registry([path])
    assert registry.resolve(alias) == key
    assert registry.get(alias).input_per_1m == Decimal(2)


# --- price files say only what can be held exactly ----------------------------------------

@pytest.mark.parametrize("value", ["1e400", "0." + "1" * 40, "1e7", "nan", "inf"])
def test_a_price_file_rate_with_absurd_magnitude_or_digits_is_rejected(tmp_path, value):
    path = tmp_path / "big.toml"
    path.write_text(OVERRIDE.replace("input = 2", f"input = {value}"))
    with pytest.raises(PriceFileError, match="input"):
        load_registry([path])
    code, _, err = invoke("prices", "validate", str(path))
    assert code == 2 and "input" in err


# --- the library raises its own errors for bad arguments ----------------------------------

@pytest.mark.parametrize("call", [
    lambda: tokencost.count_tokens("hi", None),
    lambda: tokencost.count_tokens(None, "gpt-4o"),
    lambda: tokencost.estimate("hi", "gpt-4o", as_of="2024-06-01"),
    lambda: tokencost.estimate("hi", "gpt-4o", batch="no"),
    lambda: tokencost.estimate("hi", "gpt-4o", response_tokens=-1),
    lambda: tokencost.estimate("hi", "gpt-4o", response_ratio=float("nan")),
    lambda: tokencost.estimate("hi", "gpt-4o", frobnicate=1),
    lambda: tokencost.load_registry(None),
    lambda: tokencost.load_registry([None]),
    lambda: tokencost.compare("hi", models=[]),
    lambda: tokencost.compare("hi", models="gpt-4o"),
    lambda: tokencost.compare(42),
    lambda: tokencost.price("gpt-4o", {"input_tokens": 1}),
    lambda: tokencost.trim_saving("hi", ["gpt-4o"], trim=float("inf")),
    lambda: Usage(input_tokens=10, cached_tokens=11),
    lambda: Usage(output_tokens=10**30),
])
def test_bad_library_arguments_raise_tokencost_errors(call):
    with pytest.raises(BadInputError):
        call()


def test_messages_name_the_date_the_model_and_the_earliest_price():
    with pytest.raises(BadInputError, match=r"no price in force on 2020-01-01"):
        tokencost.estimate("hi", "openai:gpt-4o", as_of=dt.date(2020, 1, 1))
    with pytest.raises(BadInputError, match=r"no model had a price on 1900-01-01; the earliest .* is from \d{4}"):
        tokencost.compare("hi", as_of=dt.date(1900, 1, 1))
    with pytest.raises(BadInputError, match=r"openai:gpt-4o has no service tier 'turbo'"):
        tokencost.estimate("hi", "openai:gpt-4o", service_tier="turbo")


# --- no non-zero amount shown as zero ------------------------------------------------------

def test_a_tiny_real_cost_is_never_shown_as_zero(invoke):
    from tokencost.money import shown

    assert shown(Decimal("0.00000005")) == "0.00000005"
    assert shown(Decimal("0.000000054321")) == "0.000000054"
    assert shown(Decimal(0)) == "0.00"
    cheapest = min((p for p in load_registry().models() if p.input_per_1m_usd), key=lambda p: p.input_per_1m_usd)
    code, out, _ = invoke("estimate", "-", "-m", cheapest.key, input="hi")
    row = next(line for line in out.splitlines() if line.startswith(cheapest.provider))
    assert code == 0 and not row.rstrip().endswith(" 0.00") and not row.rstrip().endswith(" 0")


# --- the command line: every numeric option refuses nan, inf, huge and negative -----------

SELFHOST = ("selfhost", "--model", "llama-3.1-70b", "--gpu", "h100", "--precision", "fp8")
BREAKEVEN = ("breakeven", "--model", "llama-3.1-70b", "--gpu", "h100", "--precision", "fp8", "--vs", "openai:gpt-4o")
PLAN = ("plan", "--model", "llama-3.3-70b", "--response-tokens", "100", "--gpu", "h100")
NUMERIC = [
    ("estimate", PROMPT, "--response-tokens"), ("estimate", PROMPT, "--reasoning-tokens"),
    ("estimate", PROMPT, "--cached-tokens"), ("estimate", PROMPT, "--cache-write-tokens"),
    ("estimate", PROMPT, "--response-ratio"), ("estimate", PROMPT, "--trim"),
    ("estimate", PROMPT, "--response-trim"), ("estimate", PROMPT, "--requests-per-day"),
    ("estimate", PROMPT, "--days"), ("prices", "stale", "--older-than"),
    *[(*SELFHOST, option) for option in ("--utilization", "--price-per-gpu-hour", "--measured-tps", "--gpus",
                                         "--prompt-tokens", "--response-tokens", "--concurrency", "--server-price",
                                         "--pue", "--licence-per-gpu-year")],
    *[(*BREAKEVEN, option) for option in ("--monthly-tokens", "--utilization")],
    *[(*PLAN, option) for option in ("--ttft", "--itl", "--requests-per-s", "--redundancy", "--max-load",
                                     "--max-gpus", "--prompt-tokens")],
]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e30", "1000000000000000000000000000000", "-1"])
@pytest.mark.parametrize("command", NUMERIC, ids=lambda c: c[-1])
def test_every_numeric_option_refuses_nan_inf_huge_and_negative_values(invoke, command, value):
    *args, option = command
    code, out, err = invoke(*args, f"{option}={value}")
    assert code == 2, (out, err)
    assert err.startswith("tokencost: error:") and err.count("\n") == 1 and "internal error" not in err


@pytest.mark.parametrize("spec", ["x=nan,nan", "x=inf,1", "x=-1,2", "x=1e30,1", "x=1"])
def test_a_hand_written_hosted_price_must_be_a_real_price(invoke, spec):
    code, _, err = invoke(*BREAKEVEN[:-2], "--vs-price", spec)
    assert code == 2 and "--vs-price" in err and "internal error" not in err


def test_plot_and_output_into_a_missing_folder_are_clear_errors(invoke, tmp_path):
    missing = tmp_path / "no" / "such"
    for args in ((*BREAKEVEN, "--plot", str(missing / "b.png")), ("estimate", PROMPT, "-o", str(missing / "x.csv"))):
        code, _, err = invoke(*args)
        assert code == 2 and "internal error" not in err, err


def test_stdin_cannot_be_both_prompt_and_response(invoke):
    code, _, err = invoke("estimate", "-", "--response", "-", input="hello")
    assert code == 2 and "stdin" in err


def test_deeply_nested_messages_are_a_clear_error(invoke, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = invoke("estimate", "--messages", str(path), "-m", "gpt-4o")
    assert code == 2 and "internal error" not in err


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8", Path("/bin/ls").read_bytes()[:4096]])
def test_a_price_file_that_is_not_utf8_text_is_a_clear_error(invoke, tmp_path, content):
    path = tmp_path / "x.toml"
    path.write_bytes(content)
    for args in (("prices", "validate", str(path)), ("models", "--pricing", str(path))):
        code, _, err = invoke(*args)
        assert code == 2 and "UTF-8" in err and "internal error" not in err


def test_validating_a_folder_without_price_files_says_so(invoke, tmp_path):
    code, _, err = invoke("prices", "validate", str(tmp_path))
    assert code == 2 and "no price files" in err


def test_upper_case_toml_files_load_and_provider_names_may_have_spaces(tmp_path):
    path = tmp_path / "MINE.TOML"
    path.write_text(OVERRIDE)
    registry = load_registry([tmp_path])
    assert registry.get("openai:gpt-4o").name == "GPT-4o, negotiated"
    assert registry.models(" openai ")
    assert registry.get(" OpenAI :gpt-4o").key == "openai:gpt-4o"


def test_every_error_class_is_documented_with_its_exit_code():
    import inspect

    from tokencost import errors

    docs = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    for name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, TokencostError):
            assert f"`{name}`" in docs and f"exit {cls.exit_code}" in docs, name


def test_a_prompt_file_is_counted_streamed_and_equals_the_whole_text():
    text = Path(PROMPT).read_text(encoding="utf-8")
    by_path = tokencost.compare(Path(PROMPT), response_tokens=10, selfhost=False)
    by_text = tokencost.compare(text, response_tokens=10, selfhost=False)
    assert [(e.model, e.input_tokens, e.total_cost) for e in by_path] == \
        [(e.model, e.input_tokens, e.total_cost) for e in by_text]
