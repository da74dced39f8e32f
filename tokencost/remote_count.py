"""Exact token counts from the providers' own counting endpoints (opt-in, needs your key).

Nothing here runs unless you call it with an API key: tokencost never sends text
anywhere on its own.  Only the standard library is used (urllib), so this adds no
dependency.  ``base_url`` lets you point at a proxy, a regional endpoint or, in the
tests, a fake server on 127.0.0.1.

* Anthropic: ``POST {base_url}/v1/messages/count_tokens`` -> ``{"input_tokens": N}``
  (docs.anthropic.com/en/api/messages-count-tokens).
* Gemini: ``POST {base_url}/v1beta/models/{model}:countTokens`` -> ``{"totalTokens": N}``
  (ai.google.dev/api/tokens).  The key travels in the ``x-goog-api-key`` header, not the URL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import BadInputError, RemoteCountError

__all__ = ["anthropic_count_tokens", "gemini_count_tokens", "RemoteCountError"]

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"


def _post(url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout: float) -> dict:
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("content-type", "application/json")
    for k, v in headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        detail = ""
        try:
            payload = json.loads(exc.read() or b"{}")
            err = payload.get("error", payload)
            detail = err.get("message", "") if isinstance(err, Mapping) else str(err)
        except (ValueError, AttributeError):
            pass
        raise RemoteCountError(
            f"{_host(url)} answered HTTP {exc.code}{': ' + detail if detail else ''}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RemoteCountError(f"cannot reach {_host(url)}: {reason}") from None
    try:
        out = json.loads(raw)
    except ValueError:
        raise RemoteCountError(f"{_host(url)} answered with something that is not JSON") from None
    if not isinstance(out, dict):
        raise RemoteCountError(f"{_host(url)} answered with unexpected JSON: {str(out)[:100]}")
    return out


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _check_key(api_key: str | None, who: str) -> str:
    if not isinstance(api_key, str) or not api_key.strip():
        raise BadInputError(f"{who} token counting needs your API key (api_key=...); it is never read implicitly")
    return api_key.strip()


def _int_field(out: dict, key: str, url: str) -> int:
    val = out.get(key)
    if not isinstance(val, int) or isinstance(val, bool) or val < 0:
        raise RemoteCountError(f"{_host(url)} answered without a valid {key!r}: {str(out)[:100]}")
    return val


def anthropic_count_tokens(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    *,
    api_key: str,
    base_url: str = ANTHROPIC_BASE_URL,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    timeout: float = 30.0,
) -> int:
    """Input tokens of a Messages API request, as Anthropic counts them (exact)."""
    key = _check_key(api_key, "Anthropic")
    body: dict[str, Any] = {"model": model, "messages": list(messages)}
    if system is not None:
        body["system"] = system
    if tools:
        body["tools"] = list(tools)
    url = base_url.rstrip("/") + "/v1/messages/count_tokens"
    out = _post(url, body, {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}, timeout)
    return _int_field(out, "input_tokens", url)


def _to_gemini_contents(messages: str | Sequence[Any]) -> list[dict]:
    if isinstance(messages, str):
        return [{"role": "user", "parts": [{"text": messages}]}]
    contents = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise BadInputError(f"messages[{i}] must be a mapping, got {type(m).__name__}")
        if "parts" in m:  # already Gemini-shaped
            contents.append(dict(m))
            continue
        role = "model" if m.get("role") == "assistant" else "user"
        content = m.get("content")
        if isinstance(content, str):
            parts = [{"text": content}]
        elif isinstance(content, list):
            parts = [
                {"text": p["text"]}
                for p in content
                if isinstance(p, Mapping) and isinstance(p.get("text"), str)
            ]
        else:
            parts = []
        contents.append({"role": role, "parts": parts})
    return contents


def gemini_count_tokens(
    messages: str | Sequence[Any],
    model: str,
    *,
    api_key: str,
    base_url: str = GEMINI_BASE_URL,
    timeout: float = 30.0,
) -> int:
    """Tokens of a prompt (text, OpenAI-style messages or Gemini ``contents``), as Gemini counts them."""
    key = _check_key(api_key, "Gemini")
    model_path = model if model.startswith("models/") else f"models/{model}"
    url = base_url.rstrip("/") + "/v1beta/" + urllib.parse.quote(model_path, safe="/") + ":countTokens"
    out = _post(url, {"contents": _to_gemini_contents(messages)}, {"x-goog-api-key": key}, timeout)
    return _int_field(out, "totalTokens", url)
