"""Exact prompt recounts from OpenAI Batch input files, for what-ifs on other models.

A Batch *output* file carries the usage of each request but not its text; the Batch *input* file
(``{"custom_id", "method", "url", "body": {"model", "messages", "tools", ...}}`` per line) carries the
text.  Joined by ``custom_id``, a what-if on another model counts each prompt with that model's own
tokenizer (chat framing and tool definitions included, as
:func:`tokencost.counting.count_message_tokens` counts them) instead of scaling the measured count by a
tokenizer ratio.  Output tokens have no text to recount: they come from the output file, scaled by the
ratio when the tokenizers differ (and labelled approximate).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadInputError
from ..registry import Registry
from .sources import Source, records


def is_batch_input(rec: Any) -> bool:
    """A Batch input line: a ``custom_id`` and a request ``body``, no ``response`` yet."""
    return (
        isinstance(rec, dict)
        and "custom_id" in rec
        and isinstance(rec.get("body"), dict)
        and "response" not in rec
        and "error" not in rec
    )


def request_of(body: dict) -> tuple[str, Any, Any] | None:
    """``("messages", messages, tools)`` or ``("text", text, None)`` for a request body; ``None`` when
    the body has nothing to count (an embeddings request with token ids, for instance)."""
    if isinstance(body.get("messages"), list):
        return "messages", body["messages"], body.get("tools")
    inp = body.get("input")
    if isinstance(inp, list) and inp and all(isinstance(m, dict) and "role" in m for m in inp):
        return "messages", inp, body.get("tools")
    if isinstance(inp, str):
        return "text", inp, None
    if isinstance(body.get("prompt"), str):
        return "text", body["prompt"], None
    return None


def count_request(body: dict, model: str, registry: Registry) -> int | None:
    """Prompt tokens of one request body on ``model`` (``None``: nothing countable in it)."""
    from ..counting import count_message_tokens, count_prompt

    req = request_of(body)
    if req is None:
        return None
    kind, payload, tools = req
    if kind == "messages":
        return count_message_tokens(payload, model, tools=tools, registry=registry).tokens
    return count_prompt(payload, registry.tokenizer_of(model))[0]


def input_lines(source: Source) -> Iterator[tuple[int, str, dict]]:
    """``(line, custom_id, body)`` of every request in a Batch input file."""
    for line, rec in records(source, "jsonl"):
        if not is_batch_input(rec):
            raise BadInputError(
                f"{source.name}, line {line}: not an OpenAI Batch input line (custom_id and body); "
                f"give the Batch input file as it was uploaded"
            )
        yield line, str(rec["custom_id"]), rec["body"]


def recount_prompts(path: str, model: str, registry: Registry | None = None) -> dict[str, int]:
    """``{custom_id: prompt tokens on model}`` for every countable request of a Batch input file."""
    from pathlib import Path

    from ..registry import load_registry

    registry = registry or load_registry()
    out = {}
    for _, cid, body in input_lines(Source(str(path), Path(path))):
        n = count_request(body, model, registry)
        if n is not None:
            out[cid] = n
    return out


@dataclass
class BatchText:
    """The Batch input files of a repricing and where each ``custom_id`` landed in the output files."""

    inputs: list[Source] = field(default_factory=list)
    #: custom_id -> (output file name as the engine stores it, line)
    outputs: dict[str, tuple[str, int]] = field(default_factory=dict)

    def track(self, source: Source, items: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        """Pass a Batch output file's records through, remembering where each billed ``custom_id`` is."""
        for line, rec in items:
            response = rec.get("response") if isinstance(rec, dict) else None
            body = response.get("body") if isinstance(response, dict) else None
            if isinstance(body, dict) and isinstance(body.get("usage"), dict) and rec.get("custom_id") is not None:
                self.outputs[str(rec["custom_id"])] = (source.name, line)
            yield line, rec

    def matched(self) -> int:
        """How many input requests have a billed output line (their ``custom_id`` joins)."""
        return sum(1 for src in self.inputs for _, cid, _ in input_lines(src) if cid in self.outputs)

    def recount(self, model: str, registry: Registry) -> tuple[list[tuple[str, int, int]], int, int]:
        """``(rows, recounted, not countable)``: ``(output file, line, prompt tokens on model)`` for every
        input request whose ``custom_id`` has an output line."""
        rows, skipped = [], 0
        for src in self.inputs:
            for _, cid, body in input_lines(src):
                where = self.outputs.get(cid)
                if where is None:
                    continue
                n = count_request(body, model, registry)
                if n is None:
                    skipped += 1
                    continue
                rows.append((where[0], where[1], n))
        return rows, len(rows), skipped
