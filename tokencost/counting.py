"""Token counts by model: resolve the model's tokenizer in the registry, then count.

This is the public face of the tokenizer layer (:mod:`tokencost.tokenizers`, keyed by tokenizer
name, and :mod:`tokencost.messages`, the chat framing).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any

from .errors import BadInputError, TokenizerUnavailable
from .messages import MessageCount, count_messages
from .registry import Registry, default_models, default_registry
from .tokenizers import count_stream, count_stream_many, get_tokenizer


def _tokenizer_name(model: str, registry: Registry | None) -> str:
    return (registry or default_registry()).tokenizer_of(model)


def tokenizer_for(model: str, registry: Registry | None = None) -> Any:
    """The tokenizer ``model`` is billed with: ``name``, ``exact``, ``count``, ``count_batch``, ``basis``."""
    return get_tokenizer(_tokenizer_name(model, registry))


def count_tokens(text: str, model: str, registry: Registry | None = None) -> int:
    """Tokens in ``text`` by ``model``'s own tokenizer (special-token strings count as text)."""
    if not isinstance(text, str):
        raise BadInputError(f"text must be a str, not {type(text).__name__}")
    return tokenizer_for(model, registry).count(text)


def count_message_tokens(messages: Sequence[dict[str, Any]], model: str, tools: Sequence[dict[str, Any]] | None = None,
                         registry: Registry | None = None) -> MessageCount:
    """Tokens of a chat request as the provider bills it, framing (and ``tools`` definitions) included."""
    entry = (registry or default_registry()).get(model).model
    return count_messages(messages, entry.tokenizer, image_rule=entry.image_rule, tools=tools)


def count_prompt(prompt: str | os.PathLike[str] | Sequence[dict[str, Any]], tokenizer: str,
                 image_rule: str | None = None, tools: Sequence[dict[str, Any]] | None = None) -> tuple[int, str, str]:
    """``(tokens, "exact"|"approximate", basis)`` for text, a text file or chat messages under ``tokenizer``.

    A file (a :class:`os.PathLike`) is streamed in bounded memory, never read whole.
    When the exact tokenizer's optional package is missing, the count falls back to the
    characters approximation and the basis says which package gives the exact count.
    """
    try:
        tok = get_tokenizer(tokenizer)
        missing = ""
    except TokenizerUnavailable as exc:
        tok = get_tokenizer("approx:chars")
        missing = f"exact {tokenizer} count needs an optional package ({exc}); approximated meanwhile by "
    basis = missing + (tok.basis if tok.exact else f"{tok.basis}; error: {tok.error or 'not measurable'}")
    if isinstance(prompt, str):
        return tok.count(prompt), "exact" if tok.exact else "approximate", basis
    if isinstance(prompt, os.PathLike):
        return count_stream(tok, prompt), "exact" if tok.exact else "approximate", basis
    counted = count_messages(prompt, tok.name, image_rule=image_rule, tools=tools)
    if counted.uncounted_parts:
        basis += f"; not counted: {', '.join(counted.uncounted_parts)}"
    if counted.notes:
        basis += "; " + "; ".join(counted.notes)
    return counted.tokens, "exact" if counted.exact else "approximate", basis


def count_sources(paths: Sequence[str], models: Sequence[str] | None = None, *, stdin: IO[bytes] | None = None,
                  each: bool = False, registry: Registry | None = None,
                  progress: bool = False) -> list[dict[str, Any]]:
    """Tokens of files, folders, JSONL and Batch files (and ``stdin``, streamed) by each model's tokenizer.

    One row per model (``each=False``: items, tokens, exact, basis) or per counted item; each
    tokenizer counts the inputs once, however many models share it, and ``stdin`` is read once
    for all of them in bounded memory.
    """
    from .batch import count_files  # only the count command needs it: kept off the estimate's start-up

    registry = registry or default_registry()
    targets = [registry.get(m) for m in models] if models else default_models(registry)
    toks = {t.name: t for t in (get_tokenizer(p.tokenizer) for p in targets)}
    stdin_counts = dict(zip(toks, count_stream_many(list(toks.values()), stdin, name="stdin"))) \
        if stdin is not None else None
    counted: dict[str, list[tuple[str, int, bool]]] = {}
    rows: list[dict[str, Any]] = []
    for priced in targets:
        tok = toks[get_tokenizer(priced.tokenizer).name]
        if tok.name not in counted:
            items = [(i.path if i.line is None else f"{i.path}:{i.line}", i.tokens, i.exact)
                     for i in (count_files(tok, list(paths), progress=progress) if paths else [])]
            if stdin_counts is not None:
                items.insert(0, ("-", stdin_counts[tok.name], tok.exact))
            counted[tok.name] = items
        items = counted[tok.name]
        basis = tok.basis if tok.exact else f"{tok.basis}; error: {tok.error}"
        if each:
            rows += [{"model": priced.key, "source": src, "tokens": n, "exact": ex, "tokenizer": tok.name,
                      "basis": basis} for src, n, ex in items]
        else:
            rows.append({"model": priced.key, "tokenizer": tok.name, "items": len(items),
                         "tokens": sum(n for _, n, _ in items), "exact": all(ex for _, _, ex in items),
                         "basis": basis})
    return rows
