"""The command line: what users type, what they read, and the exit codes scripts rely on."""

from __future__ import annotations

import csv
import json
import os
import runpy
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ROOT / "examples" / "prompt.txt"


from conftest import run_cli as invoke  # the suite's one CLI harness (CliRunner)


# --- models and prices -----------------------------------------------------------------------

def test_models_lists_rates_per_1m_in_a_table_and_per_1k_in_files():
    code, out, _ = invoke("models", "--provider", "openai")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == ["provider", "model", "currency", "input_per_1m", "output_per_1m", "context_window",
                      "price_checked"]
    assert "gpt-4o " in out
    code, out, _ = invoke("models", "--provider", "openai", "--format", "csv")
    header = out.splitlines()[0].split(",")
    assert {"input_per_1k", "output_per_1k", "input_per_1m", "as_of", "price_effective", "price_checked",
            "source"} <= set(header)


def test_models_as_json_keeps_money_as_exact_strings():
    code, out, _ = invoke("models", "-p", "openai", "--format", "json")
    rows = {r["model"]: r for r in json.loads(out)["rows"]}
    assert rows["gpt-4o"]["input_per_1m"] == "2.5" and rows["gpt-4o"]["input_per_1k"] == "0.0025"


def test_prices_show_gives_source_and_the_historical_rate_with_as_of():
    code, out, _ = invoke("prices", "show", "openai:gpt-3.5-turbo", "--as-of", "2023-03-01", "--format", "json")
    detail = json.loads(out)
    assert code == 0 and detail["price_effective"] == "2023-03-01" and detail["as_of"] == "2023-03-01"
    rates = {r["rate"]: r for r in detail["rows"]}
    assert rates["input"]["per_1k"] == "0.002" and rates["output"]["per_1k"] == "0.002"
    assert detail["source"].startswith("https://")
    code, out, _ = invoke("prices", "show", "gpt-4o")
    assert code == 0 and "source: https://" in out and "checked" in out


def test_prices_validate_passes_shipped_data_and_names_each_problem_in_a_bad_file(tmp_path):
    assert invoke("prices", "validate")[0] == 0
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "pricing" / "groq.toml").read_text().replace("output = ", "outptu = ", 1))
    code, _, err = invoke("prices", "validate", str(bad))
    assert code == 2
    assert "bad.toml: model '" in err and "outptu: unknown field" in err and "output: required field is missing" in err
    assert "Traceback" not in err


def test_prices_stale_lists_old_entries():
    code, out, _ = invoke("prices", "stale", "--older-than", "0", "--today", "2030-01-01", "--format", "csv")
    assert code == 0 and len(out.splitlines()) > 50
    code, out, _ = invoke("prices", "stale", "--older-than", "90", "--today", "2026-11-23")
    assert code == 0 and "(no rows)" in out


def test_a_malformed_override_file_fails_every_command_with_file_and_field(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text('schema_version = 1\n[provider]\nid = "me"\nname = "Me"\n[[models]]\nid = "x"\n')
    code, _, err = invoke("models", "--pricing", str(bad))
    assert code == 2 and "mine.toml: model 'x': name: required field is missing" in err


# --- estimate --------------------------------------------------------------------------------

def test_estimate_default_set_covers_every_provider_cheapest_first():
    code, out, err = invoke("estimate", str(PROMPT), "--response-tokens", "200", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == "tokencost.estimate/2"
    providers = {e["provider"] for e in doc["rows"]}
    assert {"openai", "azure-openai", "vertex", "anthropic", "bedrock", "groq", "databricks", "snowflake",
            "mistral", "alibaba", "azure-ai"} <= providers
    totals = [Decimal(e["total_cost"]) for e in doc["rows"]]
    assert totals == sorted(totals)
    assert all(e["count"] in ("exact", "approximate") for e in doc["rows"])


def test_estimate_table_marks_approximate_counts_and_says_the_date_priced():
    code, out, _ = invoke("estimate", str(PROMPT), "-m", "anthropic:claude-haiku-4-5", "-m", "openai:gpt-4o")
    assert code == 0
    haiku = next(line for line in out.splitlines() if "claude-haiku-4-5" in line)
    gpt = next(line for line in out.splitlines() if line.startswith("openai"))
    assert "~" in haiku and "~" not in gpt
    assert "~ approximate count (approx:claude)" in out and "docs/tokenizers.md" in out
    assert "at the prices in force on " in out


def test_estimate_reads_stdin_and_chat_messages(tmp_path):
    code, out, _ = invoke("estimate", "-", "-m", "gpt-4o", "--format", "json", input="Hello there, how are you?")
    assert code == 0 and json.loads(out)["rows"][0]["input_tokens"] > 0
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "Hello there, how are you?"}]))
    code, out2, _ = invoke("estimate", "--messages", str(chat), "-m", "gpt-4o", "--format", "json")
    # the chat framing adds tokens around the same text
    assert code == 0
    assert json.loads(out2)["rows"][0]["input_tokens"] > json.loads(out)["rows"][0]["input_tokens"]


def test_estimate_csv_for_a_monthly_budget_is_spreadsheet_safe_and_atomic(tmp_path):
    out_file = tmp_path / "budget.csv"
    code, out, err = invoke("estimate", str(PROMPT), "-m", "gpt-4o", "-m", "snowflake:llama3.3-70b",
                            "--response-tokens", "200", "--requests-per-day", "5000", "--days", "30",
                            "--format", "csv", "--output", str(out_file))
    assert code == 0, err
    assert out == "" and [p.name for p in tmp_path.iterdir()] == ["budget.csv"]
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert {(r["provider"], r["model"]) for r in rows} == {("openai", "gpt-4o"), ("snowflake", "llama3.3-70b")}
    for r in rows:
        assert r["requests"] == "150000"
        assert Decimal(r["total_cost"]) == Decimal(r["cost_per_request"]) * 150000
        for name in ("total_cost", "input_per_1m", "input_tokens", "usd_per_unit"):
            float(r[name])  # a spreadsheet reads it as a number
        assert r["price_checked"] and r["as_of"] and r["source"].startswith("https://")
    snow = next(r for r in rows if r["provider"] == "snowflake")
    assert snow["currency"] == "USD" and snow["billed_in"] == "CREDIT" and "1 CREDIT =" in snow["notes"]


def test_estimate_trim_reports_whether_the_15pct_claim_holds():
    code, out, _ = invoke("estimate", str(PROMPT), "-m", "gpt-4o", "--response-tokens", "200",
                          "--trim", "0.10", "--format", "json")
    assert code == 0
    [result] = json.loads(out)["rows"]
    assert Decimal(result["saving_pct"]) < 10 and result["claim_reached"] is False


@pytest.mark.parametrize("args, message", [
    (("estimate", "nope.txt"), "cannot read 'nope.txt'"),
    (("estimate", "PROMPT", "-m", "gtp-4o"), "did you mean gpt-4o"),
    (("estimate", "PROMPT", "-m", "llama-3.3-70b"), "ambiguous"),
    (("estimate", "PROMPT", "--requests-per-day", "-5"), "-5 is not in the range 1<=x"),
    (("estimate", "PROMPT", "--requests-per-day", "100000000000000", "--days", "365"), "beyond any real traffic"),
    (("estimate", "PROMPT", "--trim", "1.5"), "'--trim': 1.5 is out of range"),
    (("estimate", "PROMPT", "--as-of", "2020-01-01", "-m", "gpt-4o"), "no price in force"),
    (("estimate", "PROMPT", "-m", "gpt-4o", "--service-tier", "turbo"), "no service tier 'turbo'"),
    (("count", "nope.txt"), "no such file or directory: 'nope.txt'"),
    (("prices", "show", "openia:gpt-4o"), "did you mean openai"),
    (("estimate", "PROMPT", "--cached-tokens", "-3"), "-3 is not in the range 0<=x"),
    (("estimate", "PROMPT", "--format", "xml"), "'xml' is not one of"),
    (("estimate",), "give a PROMPT_FILE"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(args, message):
    args = tuple(str(PROMPT) if a == "PROMPT" else a for a in args)
    code, out, err = invoke(*args)
    assert code == 2, (out, err)
    assert message in err and err.count("\n") == 1 and err.startswith("tokencost: error:")


def test_non_utf8_prompt_is_a_clear_error(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    code, _, err = invoke("estimate", str(bad), "-m", "gpt-4o")
    assert code == 2 and "UTF-8" in err and ("offset 3" in err or "byte 3" in err)


def test_count_shows_each_models_count_and_whether_it_is_exact():
    code, out, _ = invoke("count", str(PROMPT), "-m", "gpt-4o", "-m", "claude-haiku-4-5", "--format", "json")
    rows = {r["model"]: r for r in json.loads(out)["rows"]}
    assert code == 0
    assert rows["openai:gpt-4o"]["exact"] is True and rows["anthropic:claude-haiku-4-5"]["exact"] is False


# --- the installed command and the examples --------------------------------------------------

def test_console_script_runs_as_a_real_process():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tokencost", "estimate", str(PROMPT), "-m", "gpt-4o"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "openai" in proc.stdout and "gpt-4o" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "tokencost", "estimate", "missing.txt"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("argv, status, out, err", [
    (["--version"], 0, "tokencost, version", ""),
    (["estimate", "missing.txt"], 2, "", "tokencost: error: cannot read 'missing.txt'"),
])
def test_the_process_skips_teardown_but_keeps_its_output_exit_status_and_exit_handlers(argv, status, out, err):
    """main() ends the process with os._exit after flushing and running atexit handlers."""
    code = ("import atexit, sys\n"
            "class Torn:\n    def __del__(self): print('torn down', file=sys.stderr)\n"
            "kept = Torn()\n"  # a module global is finalized only by the interpreter's teardown
            "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
            f"sys.argv = ['tokencost', *{argv!r}]\nfrom tokencost.cli import main\nmain()\nprint('unreachable')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == status and out in proc.stdout and "unreachable" not in proc.stdout
    assert err in proc.stderr and proc.stderr.rstrip().endswith("exit handler ran")
    assert "torn down" not in proc.stderr  # the teardown was skipped


def test_a_non_numeric_exit_code_is_printed_and_ends_with_status_1():
    code = "import tokencost.cli as c; c._end('stopped: reason given')"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip() == "stopped: reason given"


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path / "out.csv")])
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_count_takes_directories_and_openai_batch_files_per_item_or_in_total(tmp_path):
    (tmp_path / "a.txt").write_text("Hello world", encoding="utf-8")
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}} for i in range(3)]
    (tmp_path / "batch.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    code, out, _ = invoke("count", str(tmp_path), "-m", "gpt-4o", "--each", "--format", "json")
    rows = json.loads(out)["rows"]
    assert code == 0 and len(rows) == 4
    from tokencost import count_message_tokens, count_tokens
    by_source = {Path(r["source"]).name: r["tokens"] for r in rows}
    assert by_source["a.txt"] == count_tokens("Hello world", "gpt-4o")
    assert by_source["batch.jsonl:2"] == count_message_tokens(lines[1]["body"]["messages"], "gpt-4o").tokens
    code, out, _ = invoke("count", str(tmp_path), "-m", "gpt-4o", "--format", "json")
    [total] = json.loads(out)["rows"]
    assert total["items"] == 4 and total["tokens"] == sum(r["tokens"] for r in rows)


def test_estimate_counts_tool_definitions_from_the_request_file_or_tools(tmp_path):
    from tokencost import count_message_tokens

    messages = [{"role": "user", "content": "What's the weather like in Boston?"}]
    tools = [{"type": "function", "function": {
        "name": "get_current_weather", "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]
    (tmp_path / "chat.json").write_text(json.dumps(messages))
    (tmp_path / "tools.json").write_text(json.dumps(tools))
    (tmp_path / "request.json").write_text(json.dumps({"messages": messages, "tools": tools}))
    expected = count_message_tokens(messages, "gpt-4o", tools=tools).tokens
    assert expected > count_message_tokens(messages, "gpt-4o").tokens
    for args in (("--messages", str(tmp_path / "chat.json"), "--tools", str(tmp_path / "tools.json")),
                 ("--messages", str(tmp_path / "request.json"))):
        code, out, err = invoke("estimate", *args, "-m", "gpt-4o", "--format", "json")
        assert code == 0, err
        assert json.loads(out)["rows"][0]["input_tokens"] == expected
    code, _, err = invoke("estimate", str(PROMPT), "--tools", str(tmp_path / "tools.json"))
    assert code == 2 and "--tools goes with --messages" in err
