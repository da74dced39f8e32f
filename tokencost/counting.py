"""Token counts by model: resolve the model's tokenizer in the registry, then count.

This is the public face of the tokenizer layer (:mod:`tokencost.tokenizers`, keyed by tokenizer
name, and :mod:`tokencost.messages`, the chat framing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import BadInputError, TokenizerUnavailable
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


def count_message_tokens(messages: Sequence[dict[str, Any]], model: str, tools: Sequence[dict[str, Any]] | None = None,
                         registry: Registry | None = None):
    """Tokens of a chat request as the provider bills it, framing (and ``tools`` definitions) included."""
    from .messages import count_messages

    entry = (registry or load_registry()).get(model).model
    return count_messages(messages, entry.tokenizer, image_rule=entry.image_rule, tools=tools)


def count_prompt(prompt: str | Sequence[dict[str, Any]], tokenizer: str,
                 image_rule: str | None = None, tools: Sequence[dict[str, Any]] | None = None) -> tuple[int, str, str]:
    """``(tokens, "exact"|"approximate", basis)`` for text or chat messages under ``tokenizer``.

    When the exact tokenizer's optional package is missing, the count falls back to the
    characters approximation and the basis says which package gives the exact count.
    """
    from .tokenizers import get_tokenizer

    try:
        tok = get_tokenizer(tokenizer)
        missing = ""
    except TokenizerUnavailable as exc:
        tok = get_tokenizer("approx:chars")
        missing = f"exact {tokenizer} count needs an optional package ({exc}); approximated meanwhile by "
    basis = missing + (tok.basis if tok.exact else f"{tok.basis}; error: {tok.error or 'not measurable'}")
    if isinstance(prompt, str):
        return tok.count(prompt), "exact" if tok.exact else "approximate", basis
    from .messages import count_messages

    counted = count_messages(prompt, tok.name, image_rule=image_rule, tools=tools)
    if counted.uncounted_parts:
        basis += f"; not counted: {', '.join(counted.uncounted_parts)}"
    return counted.tokens, "exact" if counted.exact else "approximate", basis
