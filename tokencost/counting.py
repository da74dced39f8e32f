"""Token counts by model: resolve the model's tokenizer in the registry, then count.

This is the public face of the tokenizer layer (:mod:`tokencost.tokenizers`, keyed by tokenizer
name, and :mod:`tokencost.messages`, the chat framing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import BadInputError
from .registry import Registry, load_registry


def _tokenizer_name(model: str, registry: Registry | None) -> str:
    return (registry or load_registry()).get(model).tokenizer


def tokenizer_for(model: str, registry: Registry | None = None):
    """The tokenizer ``model`` is billed with: ``name``, ``exact``, ``count``, ``count_batch``, ``basis``."""
    from .tokenizers import get_tokenizer

    return get_tokenizer(_tokenizer_name(model, registry))


def count_tokens(text: str, model: str, registry: Registry | None = None) -> int:
    """Tokens in ``text`` by ``model``'s own tokenizer (special-token strings count as text)."""
    if not isinstance(text, str):
        raise BadInputError(f"text must be a str, not {type(text).__name__}")
    return tokenizer_for(model, registry).count(text)


def count_message_tokens(messages: Sequence[dict[str, Any]], model: str, registry: Registry | None = None):
    """Tokens of a chat request as the provider bills it, framing tokens included."""
    from .messages import count_messages

    return count_messages(messages, _tokenizer_name(model, registry))


def count_prompt(prompt: str | Sequence[dict[str, Any]], tokenizer: str, framing: bool = True) -> tuple[int, str, str]:
    """``(tokens, "exact"|"approximate", basis)`` for text or chat messages under ``tokenizer``."""
    from .tokenizers import get_tokenizer

    tok = get_tokenizer(tokenizer)
    basis = tok.basis if tok.exact else f"{tok.basis}; error: {tok.error or 'not measurable'}"
    if isinstance(prompt, str):
        return tok.count(prompt), "exact" if tok.exact else "approximate", basis
    if not framing:
        raise BadInputError("a response must be text")
    from .messages import count_messages

    counted = count_messages(prompt, tokenizer)
    if counted.uncounted_parts:
        basis += f"; not counted: {', '.join(counted.uncounted_parts)}"
    return counted.tokens, "exact" if counted.exact else "approximate", basis
