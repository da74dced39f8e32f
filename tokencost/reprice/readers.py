"""One reader per export format, each turning its records into canonical usage fields.

Field meanings come from each provider's own documentation:

* OpenAI organization usage API, completions buckets
  (https://platform.openai.com/docs/api-reference/usage/completions): ``input_tokens`` includes
  ``input_cached_tokens``; ``num_model_requests``; ``batch``; ``service_tier``; ``project_id``.
* OpenAI Batch output files (https://platform.openai.com/docs/guides/batch): one line per request,
  ``response.body.usage`` as in the Chat Completions / Responses usage object; billed at batch rates.
* Anthropic Admin API usage report (https://docs.claude.com/en/api/admin-api/usage-cost/get-messages-usage-report):
  ``uncached_input_tokens``, ``cache_read_input_tokens``, ``cache_creation.ephemeral_5m_input_tokens`` /
  ``ephemeral_1h_input_tokens``, ``output_tokens``, ``service_tier``, ``context_window``; and its cost
  report (https://docs.claude.com/en/api/admin-api/usage-cost/get-cost-report): ``amount`` in cents as a
  decimal string.
* LiteLLM spend logs (https://docs.litellm.ai/docs/proxy/cost_tracking): ``model``,
  ``custom_llm_provider``, ``prompt_tokens``, ``completion_tokens``, ``startTime``, ``spend``; cache
  counts in ``metadata.usage_object``.
* OpenTelemetry GenAI spans in OTLP JSON (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
  ``gen_ai.usage.input_tokens`` (cached included), ``gen_ai.usage.cache_read.input_tokens``,
  ``gen_ai.usage.cache_creation.input_tokens``, ``gen_ai.usage.output_tokens``,
  ``gen_ai.usage.reasoning.output_tokens``.
* Claude Code session logs (``~/.claude/projects/*/*.jsonl``): ``message.usage`` in Anthropic's Messages
  API form (``input_tokens`` excludes cache reads and writes); streamed chunks of one message repeat,
  and the last one per message id is kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from ..errors import BadInputError
from .canonical import FILE_NAMES
from .sources import BadLine

Item = tuple[int, "dict[str, Any] | BadLine"]
CANONICAL_ALIASES = {
    "ts": "timestamp",
    "time": "timestamp",
    "date": "timestamp",
    "created_at": "timestamp",
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "num_requests": "requests",
    "cache_read_tokens": "cached_tokens",
}


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _n(value: Any) -> int:
    return 0 if value in (None, "") else value


def _sum(*values: Any) -> Any:
    """Token sum that keeps a bad value visible (validation rejects it) instead of hiding it."""
    total = 0
    for value in values:
        value = _n(value)
        if not isinstance(value, int) or isinstance(value, bool):
            try:
                value = int(str(value))
            except ValueError:
                return value
        total += value
    return total


def canonical(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    """Canonical CSV/JSONL: our column names, or theirs mapped by ``columns`` (ours -> theirs)."""
    wanted = set(FILE_NAMES) | set(columns.values()) | set(CANONICAL_ALIASES)
    for line, rec in items:
        if not isinstance(rec, dict):
            yield line, rec if isinstance(rec, BadLine) else BadLine("not a JSON object")
            continue
        row = {k: v for k, v in rec.items() if k in wanted}  # the projection: nothing else is kept
        for alias, ours in CANONICAL_ALIASES.items():
            if ours not in row and alias in row and alias not in columns.values():
                row[ours] = row[alias]
        for ours, theirs in columns.items():
            row[ours] = rec.get(theirs)
        yield line, row


def openai_usage(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    for line, doc in items:
        pages = doc if isinstance(doc, list) else [doc]
        for page in pages:
            buckets = page.get("data", []) if page.get("object") == "page" else [page]
            for bucket in buckets:
                for res in bucket.get("results", []):
                    yield (
                        line,
                        {
                            "timestamp": bucket.get("start_time"),
                            "model": res.get("model"),
                            "provider": "openai",
                            "input_tokens": res.get("input_tokens"),
                            "cached_tokens": res.get("input_cached_tokens"),
                            "output_tokens": res.get("output_tokens"),
                            "requests": res.get("num_model_requests"),
                            "batch": res.get("batch"),
                            "service_tier": res.get("service_tier"),
                            "project": res.get("project_id"),
                            "user": res.get("user_id"),
                        },
                    )


def _openai_usage_object(usage: dict) -> dict[str, Any]:
    """Chat Completions (``prompt_tokens``) or Responses (``input_tokens``) usage, canonical."""
    details_in = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    details_out = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    return {
        "input_tokens": usage.get("prompt_tokens", usage.get("input_tokens")),
        "cached_tokens": details_in.get("cached_tokens"),
        "output_tokens": usage.get("completion_tokens", usage.get("output_tokens")),
        "reasoning_tokens": details_out.get("reasoning_tokens"),
    }


def openai_batch(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    for line, rec in items:
        if isinstance(rec, BadLine):
            yield line, rec
            continue
        body = _get(rec, "response", "body")
        if not isinstance(body, dict) or not isinstance(body.get("usage"), dict):
            continue  # a failed request: nothing billed
        yield (
            line,
            {
                "timestamp": body.get("created_at", body.get("created")),
                "model": body.get("model"),
                "provider": "openai",
                "batch": True,
                "requests": 1,
                **_openai_usage_object(body["usage"]),
            },
        )


CONTEXT_WINDOWS = {"0-200k": 0, "200k-1m": 200_000}


def anthropic_usage(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    for line, doc in items:
        for bucket in _buckets(doc):
            for res in bucket.get("results", []):
                creation = res.get("cache_creation") or {}
                w5 = creation.get("ephemeral_5m_input_tokens", res.get("cache_creation_5m_input_tokens"))
                w1 = creation.get("ephemeral_1h_input_tokens", res.get("cache_creation_1h_input_tokens"))
                window = str(res.get("context_window") or "").lower()
                yield (
                    line,
                    {
                        "timestamp": bucket.get("starting_at"),
                        "model": res.get("model"),
                        "provider": "anthropic",
                        "input_tokens": _sum(
                            res.get("uncached_input_tokens"), res.get("cache_read_input_tokens"), w5, w1
                        ),
                        "cached_tokens": res.get("cache_read_input_tokens"),
                        "cache_write_tokens": _sum(w5, w1),
                        "cache_write_1h_tokens": w1,
                        "output_tokens": res.get("output_tokens"),
                        "service_tier": res.get("service_tier"),
                        "project": res.get("workspace_id"),
                        "user": res.get("api_key_id"),
                        "tier_hint": CONTEXT_WINDOWS.get(window),
                    },
                )


def anthropic_cost(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    """Billed cost lines only (no tokens): they join the repriced usage for reconciliation."""
    for line, doc in items:
        for bucket in _buckets(doc):
            for res in bucket.get("results", []):
                amount = res.get("amount")
                if isinstance(amount, dict):  # {"amount": "...", "currency": "USD"} in some versions
                    amount = amount.get("amount")
                if str(res.get("currency", "USD")).upper() != "USD":
                    yield line, BadLine(f"cost report currency {res.get('currency')!r} is not USD")
                    continue
                cost = None if amount in (None, "") else Decimal(str(amount)) / 100
                yield (
                    line,
                    {
                        "timestamp": bucket.get("starting_at"),
                        "model": res.get("model") or "(not a model)",
                        "provider": "anthropic",
                        "service_tier": res.get("service_tier"),
                        "project": res.get("workspace_id"),
                        "cost": cost,
                        "requests": 0,
                    },
                )


def _buckets(doc: Any) -> list[dict]:
    pages = doc if isinstance(doc, list) else [doc]
    out = []
    for page in pages:
        if isinstance(page, dict):
            out.extend(page["data"] if isinstance(page.get("data"), list) else [page])
    return out


def litellm_spend(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    for line, rec in items:
        if isinstance(rec, BadLine):
            yield line, rec
            continue
        recs = rec if isinstance(rec, list) else [rec]
        for r in recs:
            meta = r.get("metadata")
            if isinstance(meta, str):
                try:
                    meta = json.loads(meta) if meta.strip() else {}
                except json.JSONDecodeError:
                    meta = {}
            usage = (meta or {}).get("usage_object") or {}
            details = usage.get("prompt_tokens_details") or {}
            cached = usage.get("cache_read_input_tokens", details.get("cached_tokens"))
            written = usage.get("cache_creation_input_tokens")
            prompt = r.get("prompt_tokens")
            # LiteLLM's prompt_tokens follows the provider: Anthropic's excludes cache reads and writes.
            provider = str(r.get("custom_llm_provider") or "").lower()
            if provider == "anthropic" and usage.get("cache_read_input_tokens") is not None:
                prompt = _sum(prompt, cached, written)
            yield (
                line,
                {
                    "timestamp": r.get("startTime"),
                    "model": r.get("model"),
                    "provider": provider or None,
                    "input_tokens": prompt,
                    "cached_tokens": cached,
                    "cache_write_tokens": written,
                    "output_tokens": r.get("completion_tokens"),
                    "requests": 1,
                    "user": r.get("user") or r.get("end_user"),
                    "project": r.get("team_id"),
                    "cost": r.get("spend"),
                },
            )


def _otel_value(value: dict) -> Any:
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def otel(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    for line, doc in items:
        if isinstance(doc, BadLine):
            yield line, doc
            continue
        for rs in doc.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    attrs = {a.get("key"): _otel_value(a.get("value") or {}) for a in span.get("attributes", [])}
                    if not any(k.startswith("gen_ai.usage.") for k in attrs):
                        continue
                    nanos = span.get("startTimeUnixNano")
                    yield (
                        line,
                        {
                            "timestamp": None if nanos is None else Decimal(str(nanos)) / 1_000_000_000,
                            "model": attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
                            "provider": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system"),
                            "input_tokens": attrs.get("gen_ai.usage.input_tokens"),
                            "cached_tokens": attrs.get("gen_ai.usage.cache_read.input_tokens"),
                            "cache_write_tokens": attrs.get("gen_ai.usage.cache_creation.input_tokens"),
                            "output_tokens": attrs.get("gen_ai.usage.output_tokens"),
                            "reasoning_tokens": attrs.get("gen_ai.usage.reasoning.output_tokens"),
                            "requests": 1,
                            "service_tier": attrs.get("openai.response.service_tier"),
                        },
                    )


def claude_code(items: Iterable[tuple[int, Any]], columns: dict[str, str]) -> Iterator[Item]:
    """Keeps the last chunk of each message id (streamed chunks repeat and grow)."""
    last: dict[str, Item] = {}
    order: list[str] = []
    for line, rec in items:
        if isinstance(rec, BadLine):
            yield line, rec
            continue
        message = rec.get("message")
        if (
            rec.get("type") != "assistant"
            or not isinstance(message, dict)
            or not isinstance(message.get("usage"), dict)
        ):
            continue
        usage = message["usage"]
        if message.get("model") == "<synthetic>":
            continue  # Claude Code's own placeholder messages: no API call
        creation = usage.get("cache_creation") or {}
        written = usage.get("cache_creation_input_tokens")
        w1 = creation.get("ephemeral_1h_input_tokens")
        row = {
            "timestamp": rec.get("timestamp"),
            "model": message.get("model"),
            "provider": "anthropic",
            "input_tokens": _sum(usage.get("input_tokens"), usage.get("cache_read_input_tokens"), written),
            "cached_tokens": usage.get("cache_read_input_tokens"),
            "cache_write_tokens": written,
            "cache_write_1h_tokens": w1,
            "output_tokens": usage.get("output_tokens"),
            "requests": 1,
            "service_tier": usage.get("service_tier"),
            "project": rec.get("cwd"),
            "user": rec.get("sessionId"),
        }
        key = str(message.get("id") or rec.get("requestId") or rec.get("uuid") or line)
        if key not in last:
            order.append(key)
        last[key] = (line, row)
    for key in order:
        yield last[key]


READERS: dict[str, Callable[[Iterable[tuple[int, Any]], dict[str, str]], Iterator[Item]]] = {
    "canonical": canonical,
    "openai-usage": openai_usage,
    "openai-batch": openai_batch,
    "anthropic-usage": anthropic_usage,
    "anthropic-cost": anthropic_cost,
    "litellm-spend": litellm_spend,
    "otel": otel,
    "claude-code": claude_code,
}


def reader(name: str):
    try:
        return READERS[name]
    except KeyError:
        raise BadInputError(f"unknown input format {name!r}; known: auto, {', '.join(READERS)}") from None
