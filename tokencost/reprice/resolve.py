"""Model ids as logs spell them -> registry keys (``provider:model``).

Logs write ``gpt-4o-2024-08-06``, ``openai/gpt-4o`` (LiteLLM), ``us.anthropic.claude-...-v1:0``
(Bedrock profiles), or a bare id next to a provider column (OpenTelemetry's
``gen_ai.provider.name``, LiteLLM's ``custom_llm_provider``).  Each distinct spelling is resolved
once through :meth:`Registry.resolve`; what does not resolve is reported, never priced.
"""

from __future__ import annotations

from ..errors import TokencostError
from ..registry import Registry

#: Provider names used by logs and SDKs -> registry provider ids.
PROVIDER_NAMES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure-openai",
    "azure_openai": "azure-openai",
    "azure.ai.openai": "azure-openai",
    "azure-openai": "azure-openai",
    "azure_ai": "azure-ai",
    "azure.ai.inference": "azure-ai",
    "azure-ai": "azure-ai",
    "bedrock": "bedrock",
    "aws.bedrock": "bedrock",
    "aws_bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "vertex_ai": "vertex",
    "vertex": "vertex",
    "gcp.vertex_ai": "vertex",
    "vertex_ai_beta": "vertex",
    "gemini": "gemini",
    "gcp.gemini": "gemini",
    "google": "gemini",
    "gcp.gen_ai": "gemini",
    "mistral": "mistral",
    "mistral_ai": "mistral",
    "groq": "groq",
    "databricks": "databricks",
    "snowflake": "snowflake",
    "alibaba": "alibaba",
    "dashscope": "alibaba",
}


def candidates(model: str, provider: str | None) -> list[str]:
    """Registry references to try for one log spelling, most specific first."""
    text = model.strip().lower()
    out: list[str] = []
    pid = PROVIDER_NAMES.get((provider or "").strip().lower())
    bare = text
    if "/" in text:
        prefix, _, rest = text.partition("/")
        prefix_id = PROVIDER_NAMES.get(prefix)
        if prefix_id:
            bare = rest
            pid = pid or prefix_id
            out.append(f"{prefix_id}:{rest}")
    if pid and ":" not in bare.split("-v")[0]:
        out.append(f"{pid}:{bare}")
    out += [bare, text]
    if bare.count(".") >= 1 and bare.endswith(tuple(f":{i}" for i in range(10))):
        out.append(f"bedrock:{bare}")
    seen: list[str] = []
    for c in out:
        if c not in seen:
            seen.append(c)
    return seen


def resolve_model(registry: Registry, model: str, provider: str | None) -> tuple[str | None, str]:
    """``(key, "")`` for a known model, ``(None, reason)`` otherwise."""
    reason = ""
    for ref in candidates(model, provider):
        try:
            return registry.resolve(ref), ""
        except TokencostError as exc:
            reason = reason or str(exc)
    return None, reason or f"unknown model {model!r}"
