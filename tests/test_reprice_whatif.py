"""What-ifs of a repricing: self-hosted plans, exact recounts from Batch input text, and the notes on
aggregated rows of tiered models and prompts longer than a context window."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import tokencost
from tokencost.cli import cli
from tokencost.counting import count_message_tokens, count_prompt
from tokencost.errors import BadInputError
from tokencost.registry import load_registry
from tokencost.reprice import ratios, reprice
from tokencost.reprice.recount import recount_prompts
from tokencost.selfhost.cost import HOURS_PER_MONTH
from tokencost.selfhost.plan import plan
from tokencost.usage import Usage

RULES = Path(__file__).parent / "data" / "reprice_rules.toml"
REGISTRY = load_registry([RULES])
LLAMA = "databricks-meta-llama-3-3-70b-instruct"  # llama3 tokenizer: counts carry over to llama-3.3-70b exactly


def invoke(*args):
    return CliRunner().invoke(cli, ["reprice", *args])


def write(path: Path, header: str, rows: list[str]) -> str:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


# -- self-hosted what-if: the plan, on the traffic's own hourly profile ------------------------------


def hourly_traffic(tmp_path: Path) -> str:
    # hours 10, 11 and 13 (12 has no traffic): 3600, 360 and 720 requests of 1000 in / 200 out tokens
    return write(
        tmp_path / "u.csv",
        "timestamp,model,input_tokens,output_tokens,requests",
        [
            f"2026-11-24T10:00:00Z,{LLAMA},3600000,720000,3600",
            f"2026-11-24T11:30:00Z,{LLAMA},360000,72000,360",
            f"2026-11-24T13:10:00Z,{LLAMA},720000,144000,720",
        ],
    )


def test_selfhost_what_if_is_the_plan_on_the_hourly_profile(tmp_path):
    path = hourly_traffic(tmp_path)
    (w,) = reprice([path], what_if_selfhost=["llama-3.3-70b@h100"]).what_if
    # the same plan, asked directly with the profile the traffic has (zero-filled hour 12)
    p = plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=200, traffic=[1.0, 0.1, 0.0, 0.2], gpus=["h100"])
    assert w.deployment == f"{p.replicas} x {p.gpus_per_replica}x {p.gpu} {p.precision}"
    assert w.period_hours == 4 and w.monthly_cost == p.monthly_cost
    assert w.total_cost == p.replicas * p.gpus_per_replica * 4 * p.price_per_gpu_hour
    # = the plan's monthly cost scaled to the 4 hours of traffic
    assert abs(w.total_cost - p.monthly_cost * 4 / HOURS_PER_MONTH) < Decimal("1e-9")
    assert w.approximate and w.basis.startswith("estimate (self-hosting plan")
    assert "busiest hour (1.000 req/s" in w.basis and "same tokenizer" in w.basis
    assert w.model == f"selfhost:llama-3.3-70b@{p.gpu}"
    table = " ".join(invoke(path, "--what-if-selfhost", "llama-3.3-70b@h100").output.split())
    assert f"(estimate: {w.deployment} for 4 h)" in table and "estimate (self-hosting plan" in table


def test_selfhost_what_if_on_a_dataframe(tmp_path):
    import pandas as pd

    from tokencost.reprice import reprice_frame

    path = hourly_traffic(tmp_path)
    frame = pd.read_csv(path)
    (w,) = reprice_frame(frame, what_if_selfhost=["llama-3.3-70b@h100"]).what_if
    (expected,) = reprice([path], what_if_selfhost=["llama-3.3-70b@h100"]).what_if
    assert (w.total_cost, w.deployment, w.period_hours) == (expected.total_cost, expected.deployment, 4)


def test_selfhost_latency_targets_reach_the_plan(tmp_path):
    path = hourly_traffic(tmp_path)
    (w,) = reprice([path], what_if_selfhost=["llama-3.3-70b@h100"], selfhost_options={"itl_s": 0.02}).what_if
    p = plan(
        "llama-3.3-70b",
        prompt_tokens=1000,
        response_tokens=200,
        traffic=[1.0, 0.1, 0.0, 0.2],
        gpus=["h100"],
        itl_s=0.02,
    )
    assert w.total_cost == p.replicas * p.gpus_per_replica * 4 * p.price_per_gpu_hour
    assert "ITL <= 0.02 s" in w.basis
    out = invoke(path, "--what-if-selfhost", "llama-3.3-70b@h100", "--selfhost-itl", "0.02", "--format", "json")
    assert out.exit_code == 0, out.output
    (doc,) = json.loads(out.output)["what_if"]
    assert Decimal(doc["total_cost"]) == w.total_cost and doc["deployment"] == w.deployment
    with pytest.raises(BadInputError, match="unknown self-hosting option"):
        reprice([path], what_if_selfhost=["llama-3.3-70b@h100"], selfhost_options={"gpus": 3})
    out = invoke(path, "--what-if-selfhost", "llama-3.3-70b")
    assert out.exit_code == 2 and "MODEL@GPU" in out.output


def test_selfhost_daily_buckets_are_spread_over_the_day(tmp_path):
    path = write(
        tmp_path / "daily.csv",
        "timestamp,model,input_tokens,output_tokens,requests",
        [f"2026-11-24,{LLAMA},86400000,17280000,86400", f"2026-11-25,{LLAMA},43200000,8640000,43200"],
    )
    (w,) = reprice([path], what_if_selfhost=["llama-3.3-70b@h100"]).what_if
    p = plan("llama-3.3-70b", prompt_tokens=1000, response_tokens=200, traffic=[1.0] * 24 + [0.5] * 24, gpus=["h100"])
    assert w.period_hours == 48
    assert w.total_cost == p.replicas * p.gpus_per_replica * 48 * p.price_per_gpu_hour
    assert any("daily buckets" in n for n in w.notes)


def test_selfhost_falls_back_to_simple_sizing_when_the_plan_cannot_run(tmp_path):
    path = hourly_traffic(tmp_path)
    with pytest.raises(BadInputError):  # the reason the fallback is needed
        plan(
            "llama-3.3-70b", prompt_tokens=1000, response_tokens=200, requests_per_s=1, gpus=["a100-80gb"], price_tier="spot"
        )
    (w,) = reprice([path], what_if_selfhost=["llama-3.3-70b@a100-80gb"], selfhost_options={"price_tier": "spot"}).what_if
    assert w.basis.startswith("approximate, simple sizing because the self-hosting plan could not run")
    assert "spot" in w.basis and w.period_hours == 4
    from tokencost.selfhost import estimate

    est = estimate("llama-3.3-70b", "a100-80gb", prompt_tokens=1000, response_tokens=200, utilization=Decimal(1))
    replicas = -(-1.0 // est.requests_per_s)  # ceil: the busiest hour is 1 request/s
    assert w.total_cost == int(replicas) * est.cost_per_hour * 4
    # no price anywhere for the GPU: the plan's own error, not a made-up figure
    with pytest.raises(BadInputError, match="sourced"):
        reprice([path], what_if_selfhost=["llama-3.3-70b@l40s"])


# -- exact recount from an OpenAI Batch input file ------------------------------------------------------

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def batch_files(tmp_path: Path, n: int = 12) -> tuple[str, str, list[dict], dict[str, tuple[int, int]]]:
    """An input file of ``n`` chat requests (some with tools) and its output file, lines shuffled."""
    rng = random.Random(7)
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog",
        "while",
        "seven",
        "wizards",
        "quietly",
        "judge",
        "boxing",
        "matches",
    ]
    lines, usage = [], {}
    for i in range(n):
        cid = f"req-{i}"
        msgs = [{"role": "user", "content": " ".join(rng.choice(words) for _ in range(rng.randint(3, 80)))}]
        if i % 3 == 0:
            msgs.insert(0, {"role": "system", "content": "Answer in French. " * rng.randint(1, 5)})
        body = {"model": "gpt-4o-mini", "messages": msgs, "max_tokens": 300}
        if i % 4 == 1:
            body["tools"] = TOOLS
        lines.append({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body})
        usage[cid] = (rng.randint(10, 900), rng.randint(1, 400))  # what the output file reports
    inp = tmp_path / "batch_in.jsonl"
    inp.write_text("".join(json.dumps(line) + "\n" for line in lines))
    order = list(usage)
    rng.shuffle(order)
    out_lines = []
    for k, cid in enumerate(order):
        prompt, completion = usage[cid]
        body = {
            "model": "gpt-4o-mini-2024-07-18",
            "created": 1790816400 + k,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
        }
        out_lines.append(
            {"id": f"b{k}", "custom_id": cid, "response": {"status_code": 200, "body": body}, "error": None}
        )
    out_lines.append({"id": "bx", "custom_id": "req-missing", "response": None, "error": {"code": "batch_expired"}})
    out = tmp_path / "batch_out.jsonl"
    out.write_text("".join(json.dumps(line) + "\n" for line in out_lines))
    return str(inp), str(out), lines, usage


def test_recount_equals_count_message_tokens_for_each_line(tmp_path):
    inp, _, lines, _ = batch_files(tmp_path)
    for model in ("gpt-4", "gpt-4o"):
        counted = recount_prompts(inp, model)
        expected = {
            line["custom_id"]: count_message_tokens(
                line["body"]["messages"], model, tools=line["body"].get("tools")
            ).tokens
            for line in lines
        }
        assert counted == expected
    assert any("tools" in line["body"] for line in lines)  # tool definitions are part of the count


def test_what_if_prices_the_recounted_prompts(tmp_path):
    inp, out, _lines, usage = batch_files(tmp_path)
    day = dt.date(2026, 11, 1)
    registry = load_registry()
    result = reprice([out, inp], what_if=["gpt-4", "gpt-4o"], what_if_as_of=day)
    ratio, _ = ratios.ratio(registry.tokenizer_of("gpt-4o-mini"), registry.tokenizer_of("gpt-4"))
    for w, target in zip(result.what_if, ("gpt-4", "gpt-4o")):
        recount = recount_prompts(inp, target)
        r = ratio if target == "gpt-4" else Decimal(1)
        expected = sum(
            (
                tokencost.price(
                    target,
                    Usage(
                        input_tokens=recount[cid],
                        output_tokens=int((completion * r).quantize(Decimal(1), ROUND_HALF_UP)),
                        batch=True,
                    ),
                    as_of=day,
                ).total_cost
                for cid, (_, completion) in usage.items()
            ),
            Decimal(0),
        )
        assert w.total_cost == expected, target
        assert f"prompt tokens of {len(usage)} Batch request(s) recounted exactly" in w.basis
    gpt4, gpt4o = result.what_if
    assert gpt4.approximate and "output tokens scaled by the ratio" in gpt4.basis
    assert not gpt4o.approximate and "output tokens carried over" in gpt4o.basis
    # the input file given by option, or found among the sources: the same figures
    by_option = reprice([out], batch_input=[inp], what_if=["gpt-4"], what_if_as_of=day)
    assert by_option.what_if[0].total_cost == gpt4.total_cost
    cli_out = invoke(
        out, "--batch-input", inp, "--what-if", "gpt-4", "--what-if-as-of", "2026-11-01", "--format", "json"
    )
    assert cli_out.exit_code == 0, cli_out.output
    assert Decimal(json.loads(cli_out.output)["what_if"][0]["total_cost"]) == gpt4.total_cost
    # without the text, the prompt is scaled: a different (approximate) figure
    scaled = reprice([out], what_if=["gpt-4"], what_if_as_of=day).what_if[0]
    assert scaled.total_cost != gpt4.total_cost and "recounted" not in scaled.basis
    # the repricing itself uses the billed usage of the output file, text or not
    assert result.total_cost == reprice([out]).total_cost


def test_batch_input_alone_or_unmatched(tmp_path):
    inp, out, _, _ = batch_files(tmp_path)
    with pytest.raises(BadInputError, match="give its output file too"):
        reprice([inp])
    res = invoke(inp, "--what-if", "gpt-4")
    assert res.exit_code == 2 and "output file" in res.output
    other = tmp_path / "other_in.jsonl"
    other.write_text(
        json.dumps(
            {
                "custom_id": "zzz",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            }
        )
        + "\n"
    )
    result = reprice([out], batch_input=[str(other)], what_if=["gpt-4"])
    assert any("no OpenAI Batch output line shares a custom_id" in n for n in result.notes)
    with pytest.raises(BadInputError, match="not an OpenAI Batch input file"):
        reprice([out], batch_input=[out])
    # a Responses API body with a plain string input is counted as text
    resp = tmp_path / "resp_in.jsonl"
    resp.write_text(
        json.dumps(
            {
                "custom_id": "r",
                "method": "POST",
                "url": "/v1/responses",
                "body": {"model": "gpt-4o", "input": "Hello there, world"},
            }
        )
        + "\n"
    )
    assert recount_prompts(str(resp), "gpt-4") == {"r": count_prompt("Hello there, world", "cl100k_base")[0]}


# -- aggregated rows of tiered models; prompts longer than the context window ---------------------------

HEADER = "timestamp,model,input_tokens,output_tokens,requests"


def test_aggregated_rows_of_a_tiered_model_are_noted_in_every_output(tmp_path):
    path = write(
        tmp_path / "agg.csv",
        HEADER,
        [
            "2025-03-01T10:00:00Z,testco:excess-2,12000,100,3",  # 3 requests, 4000 tokens on average
            "2025-03-01T11:00:00Z,testco:excess-2,12000,100,4",
            "2025-03-01T12:00:00Z,testco:excess-2,6000,100,1",  # one request: tiers exact
            "2025-03-01T12:00:00Z,testco:credits-1,6000,100,5",  # no tiers: nothing to say
        ],
    )
    result = reprice([path], registry=REGISTRY)
    (note,) = [n for n in result.notes if "aggregated" in n]
    assert (
        note.startswith("testco:excess-2: 2 aggregated row(s)")
        and "periods: above 1,000, 2,000, 5,000, 8,000 prompt tokens" in note
    )
    assert not any("credits-1" in n and "aggregated" in n for n in result.notes)
    (g,) = [g for g in result.groups if g.key["model"] == "testco:excess-2"]
    assert g.notes and "2 aggregated row(s)" in g.notes[0]
    # what-if on the tiered model: the same note, for the what-if
    (w,) = reprice([path], registry=REGISTRY, what_if=["testco:excess-2"]).what_if
    assert any(n.startswith("testco:excess-2: 3 aggregated row(s)") for n in w.notes)  # credits-1's 5 too
    # every output: table, JSON, CSV (column and stderr)
    env = {"TOKENCOST_PRICING_PATH": str(RULES)}
    runner = CliRunner()
    table = runner.invoke(cli, ["reprice", path], env=env)
    assert table.exit_code == 0 and "testco:excess-2: 2 aggregated row(s)" in " ".join(table.output.split())
    doc = json.loads(runner.invoke(cli, ["reprice", path, "--format", "json"], env=env).stdout)
    assert any("2 aggregated row(s)" in n for n in doc["notes"])
    res = runner.invoke(cli, ["reprice", path, "--format", "csv"], env=env)
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert next(r["x_Notes"] for r in rows if r["ResourceId"] == "testco:excess-2").startswith("2 aggregated")
    assert "aggregated row(s)" in res.stderr


def test_average_prompt_longer_than_the_window_is_flagged_not_priced(tmp_path):
    path = write(
        tmp_path / "win.csv",
        HEADER,
        [
            "2025-03-01T10:00:00Z,testco:credits-1,1000000,100,5",  # 200,000 per request > 128,000
            "2025-03-01T11:00:00Z,testco:credits-1,1000000,100,10",  # 100,000 per request: fits
        ],
    )
    result = reprice([path], registry=REGISTRY)
    assert (
        result.total_cost
        == tokencost.price(
            "testco:credits-1",
            Usage(input_tokens=100_000, output_tokens=10, requests=10),
            as_of=dt.date(2025, 3, 1),
            registry=REGISTRY,
        ).total_cost
    )
    (u,) = result.unpriced
    assert u.rows == 1 and "128,000-token context window" in u.reason
    assert any(n.startswith("testco:credits-1: 1 row(s) have an average prompt") for n in result.notes)
    with pytest.raises(BadInputError, match="context window"):
        reprice([path], registry=REGISTRY, strict=True)
    # what-if on a model with a smaller window: the rows that do not fit are counted, not priced
    fits = write(tmp_path / "fits.csv", HEADER, ["2025-03-01T10:00:00Z,testco:excess-2,1000000,100,5"])
    (w,) = reprice([fits], registry=REGISTRY, what_if=["testco:credits-1"]).what_if
    assert w.unpriced_rows == 1 and w.total_cost == 0
    assert any("context window" in n for n in w.notes)
