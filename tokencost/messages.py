"""Chat messages counted the way the provider bills them: content plus framing tokens.

Framing rules implemented, by tokenizer:

* ``o200k_base``, ``cl100k_base`` — OpenAI chat format, the rule in OpenAI's cookbook
  "How to count tokens with tiktoken" (``num_tokens_from_messages``): every message costs
  3 tokens plus the tokens of each of its string values (role, content, name, ...), a
  ``name`` costs 1 more, and every reply is primed with 3 tokens.
* ``llama3`` — Meta's Llama 3 chat format as ``llama_models/llama3/chat_format.py``
  encodes it: ``<|begin_of_text|>``, then per message
  ``<|start_header_id|>role<|end_header_id|>\\n\\n content <|eot_id|>``, then the
  assistant header that primes the reply.  Counted with the real special-token ids.
* ``llama4`` — the same with ``<|header_start|>``/``<|header_end|>`` and ``<|eot|>``
  (``llama_models/llama4/chat_format.py``).
* ``qwen`` — ChatML as Qwen's chat template writes it:
  ``<|im_start|>role\\ncontent<|im_end|>\\n`` per message, then ``<|im_start|>assistant\\n``.
  Templates that insert a default system prompt (Qwen2.5) add tokens not counted here.
* anything else (``mistral``, ``approx:*``) — content only; the result says the framing
  is not counted and is therefore not exact.

Tool use (OpenAI chat format only; see "Tools" in docs/tokenizers.md):

* ``tools`` (function definitions) are rendered as the TypeScript-like ``namespace functions``
  block the models are shown (descriptions as ``//`` comments, optional parameters with
  ``?``, enums as unions), counted, plus 9 tokens; when the request has a system message the
  definitions join it (its content gains a trailing newline and 4 tokens are saved).  This
  reproduces the billed counts OpenAI's cookbook publishes for its weather example (105 on
  gpt-4, 101 on gpt-4o); other schemas are not verified, so counts with tools are approximate.
* assistant ``tool_calls`` (and legacy ``function_call``): 3 tokens plus the function's name
  and arguments per call; the call id and type are not counted.
* tool results (``role: "tool"``/``"function"``): the message is authored by the function,
  so its name (from ``name`` or the matching earlier call's id) stands in place of the role
  word; ``tool_call_id`` is not counted.  These two rules reproduce a user-reported billed
  count (35 on gpt-4, forestwanglin/openai-java issue 5), not an official one: approximate.

Other tokenizers have no published tool rule: tool definitions are approximated by their
JSON text and the count says so.

Every message must be a mapping with a string ``role``, for every tokenizer.

Content may be a string or a list of parts (OpenAI and Anthropic style).  Text parts are
counted.  Images are counted by the provider's documented rule where there is one and
the detail level and size are known (OpenAI's tile rule for gpt-4o-class models when
``image_rule="openai-tiles"``; Anthropic's ``width*height/750`` estimate for
``approx:claude``); otherwise they are listed in ``uncounted_parts``.  Unknown part types
never raise: they are listed too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import BadInputError
from .tokenizers import Tokenizer, get_tokenizer

__all__ = [
    "MessageCount",
    "count_messages",
    "parse_chat_request",
    "render_openai_functions",
    "openai_image_tokens",
    "anthropic_image_tokens",
    "image_size",
]

OPENAI_TOKENS_PER_MESSAGE = 3
OPENAI_TOKENS_PER_NAME = 1
OPENAI_REPLY_PRIMING = 3
#: Tool definitions: tokens on top of the rendered ``namespace functions`` block, and the
#: tokens saved when the request already has a system message the block can join.
OPENAI_TOOLS_OVERHEAD = 9
OPENAI_TOOLS_SYSTEM_SAVING = 4
#: Per assistant tool call, on top of its name and arguments.
OPENAI_TOKENS_PER_TOOL_CALL = 3
#: JSON nested deeper than this (in tools, tool-call arguments or request files) is refused.
MAX_DEPTH = 64

#: Image rules by name.  "openai-tiles": 85 base + 170 per 512 px tile, after fitting the
#: image in 2048x2048 and scaling its short side to 768 px (detail "low": 85 flat), per
#: OpenAI's "Images and vision" guide, "Calculating costs" (gpt-4o, gpt-4.1, gpt-4.5,
#: o1, o3 and gpt-4-turbo class models).  Mini models use other figures: pass None.
IMAGE_RULES = ("openai-tiles",)

_TEXT_PART_TYPES = {"text", "input_text", "output_text"}
_IMAGE_PART_TYPES = {"image_url", "input_image", "image"}


@dataclass(frozen=True)
class MessageCount:
    """Tokens of a list of chat messages, framing included where a rule is known."""

    tokens: int
    exact: bool
    tokenizer: str
    framing: str
    uncounted_parts: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: Tokens of the tool definitions alone (overhead included), 0 without tools.
    tool_tokens: int = 0


def openai_image_tokens(width: int, height: int, detail: str = "high") -> int:
    """OpenAI's documented token cost of one image for gpt-4o-class models."""
    if detail == "low":
        return 85
    if width <= 0 or height <= 0:
        raise BadInputError(f"image size must be positive, got {width}x{height}")
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return 85 + 170 * tiles


def anthropic_image_tokens(width: int, height: int) -> int:
    """Anthropic's documented estimate: tokens = width * height / 750, after its resizing.

    Images whose long edge exceeds 1568 px, or that would exceed about 1,600 tokens, are
    first scaled down keeping the aspect ratio (Anthropic "Vision" guide).  Approximate by
    Anthropic's own description.
    """
    if width <= 0 or height <= 0:
        raise BadInputError(f"image size must be positive, got {width}x{height}")
    w, h = float(width), float(height)
    if max(w, h) > 1568:
        s = 1568 / max(w, h)
        w, h = w * s, h * s
    if w * h / 750 > 1600:
        s = math.sqrt(1600 * 750 / (w * h))
        w, h = w * s, h * s
    return math.ceil(int(w) * int(h) / 750)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, JPEG or WebP image, else None."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                b = data[21:25]
                w = 1 + (((b[1] & 0x3F) << 8) | b[0])
                h = 1 + (((b[3] & 0x0F) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
                return w, h
            return None
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + seg_len
    except (struct.error, IndexError):
        return None
    return None


def _decode_data_url(url: str) -> bytes | None:
    if not url.startswith("data:") or ";base64," not in url[:200]:
        return None
    try:
        return base64.b64decode(url.split(",", 1)[1], validate=False)
    except (binascii.Error, ValueError):
        return None


@dataclass
class _Image:
    where: str
    detail: str | None
    size: tuple[int, int] | None


def _image_info(part: Mapping, where: str) -> _Image:
    ptype = part.get("type")
    detail: Any = None
    data: bytes | None = None
    if ptype == "image_url":
        iu = part.get("image_url")
        if isinstance(iu, Mapping):
            detail = iu.get("detail")
            url = iu.get("url")
        else:
            url = iu
        if isinstance(url, str):
            data = _decode_data_url(url)
    elif ptype == "input_image":
        detail = part.get("detail")
        url = part.get("image_url")
        if isinstance(url, str):
            data = _decode_data_url(url)
    elif ptype == "image":
        src = part.get("source")
        if isinstance(src, Mapping) and src.get("type") == "base64" and isinstance(src.get("data"), str):
            try:
                data = base64.b64decode(src["data"])
            except (binascii.Error, ValueError):
                data = None
    size = None
    w, h = part.get("width"), part.get("height")
    if type(w) is int and type(h) is int and w > 0 and h > 0:
        size = (w, h)
    elif data:
        size = image_size(data)
    return _Image(where, detail if isinstance(detail, str) else None, size)


def _parts(content: Any, where: str, texts: list[str], images: list[_Image], uncounted: list[str]) -> int:
    """Collect text parts into ``texts`` and images into ``images``; return the number of text parts."""
    if content is None:
        return 0
    if isinstance(content, str):
        texts.append(content)
        return 1
    if isinstance(content, Mapping):
        content = [content]
    if not isinstance(content, (list, tuple)):
        uncounted.append(f"{where} (content of type {type(content).__name__})")
        return 0
    n = 0
    for i, part in enumerate(content):
        pw = f"{where}[{i}]"
        if isinstance(part, str):
            texts.append(part)
            n += 1
            continue
        if not isinstance(part, Mapping):
            uncounted.append(f"{pw} (part of type {type(part).__name__})")
            continue
        ptype = part.get("type")
        if not isinstance(ptype, str):
            ptype = None
        if ptype in _TEXT_PART_TYPES and isinstance(part.get("text"), str):
            texts.append(part["text"])
            n += 1
        elif ptype == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
            n += 1
        elif ptype in _IMAGE_PART_TYPES:
            images.append(_image_info(part, pw))
        else:
            uncounted.append(f"{pw} ({ptype or 'untyped'} part: no counting rule)")
    return n


def _as_mapping(message: Any, where: str) -> Mapping:
    if isinstance(message, Mapping):
        out = message
    else:
        dump = getattr(message, "model_dump", None)
        out = dump() if callable(dump) else None
        if not isinstance(out, Mapping):
            raise BadInputError(
                f"{where} must be a mapping with 'role' and 'content', got {type(message).__name__}"
            )
    role = out.get("role")
    if not isinstance(role, str) or not role.strip():
        what = "has no 'role'" if role is None else f"has role {role!r}, not a non-empty string"
        raise BadInputError(f"{where} {what}; give every message a role such as 'system', 'user', 'assistant' or 'tool'")
    return out


def _check_depth(value: Any, where: str, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON-like data nested deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth >= limit:
            raise BadInputError(f"{where} is nested more than {limit} levels deep; flatten it")
        stack.extend((child, depth + 1) for child in children)


def parse_chat_request(text: str, where: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """``(messages, tools)`` from a JSON chat request: a list of messages, or an object with a
    ``messages`` list and optionally ``tools`` (or legacy ``functions``).

    ``where`` names the input in errors (a file name).  Bad JSON, too deep nesting and wrong
    shapes are :class:`BadInputError`, never a raw ``ValueError`` or ``RecursionError``.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadInputError(f"{where!r} holds JSON nested too deeply to read; flatten it") from None
    except ValueError as exc:
        raise BadInputError(f"{where!r} is not valid JSON: {exc}") from None
    _check_depth(data, repr(where))
    tools = None
    if isinstance(data, dict):
        messages = data.get("messages")
        tools = data.get("tools", data.get("functions"))
        if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools)):
            raise BadInputError(f"{where!r}: \"tools\" must be a list of tool definitions (JSON objects)")
    else:
        messages = data
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise BadInputError(f"{where!r} must hold a list of chat messages or an object with a \"messages\" list")
    for i, m in enumerate(messages):
        _as_mapping(m, f"{where!r}: messages[{i}]")
    return messages, tools


def count_messages(
    messages: Iterable[Any],
    tokenizer: str | Tokenizer,
    image_rule: str | None = None,
    tools: Iterable[Any] | None = None,
    *,
    system: str | None = None,
) -> MessageCount:
    """Count chat ``messages`` for ``tokenizer`` (a name or a :class:`Tokenizer`; see module doc).

    ``image_rule="openai-tiles"`` counts images by OpenAI's gpt-4o tile rule; pass it only
    for models that rule applies to.  ``tools`` are the request's tool (function)
    definitions, OpenAI style.  ``system`` is an Anthropic-style top-level system prompt,
    counted as a leading system message.
    """
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        raise BadInputError("messages must be a list of {'role': ..., 'content': ...} mappings")
    if image_rule is not None and image_rule not in IMAGE_RULES:
        raise BadInputError(f"unknown image_rule {image_rule!r}; known: {', '.join(IMAGE_RULES)}")
    tok = tokenizer if isinstance(tokenizer, Tokenizer) else get_tokenizer(tokenizer)
    msgs = [_as_mapping(m, f"messages[{i}]") for i, m in enumerate(messages)]
    tool_list = _tool_list(tools)
    if system is not None:
        msgs = [{"role": "system", "content": system}, *msgs]
    name = tok.name
    if name in ("o200k_base", "cl100k_base"):
        return _count_openai(msgs, tok, image_rule, tool_list)
    if name in ("llama3", "llama4"):
        counted = _count_llama(msgs, tok)
    elif name in ("qwen", "qwen3.5"):
        counted = _count_chatml(msgs, tok)
    else:
        counted = _count_content_only(msgs, tok)
    return _with_tools_as_json(counted, tool_list, tok)


# --- tools ------------------------------------------------------------------------------------


def _tool_list(tools: Iterable[Any] | None) -> list[Mapping] | None:
    if tools is None:
        return None
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Iterable):
        raise BadInputError("tools must be a list of tool definitions ({'type': 'function', 'function': {...}})")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise BadInputError(f"tools[{i}] must be a mapping (a tool definition), got {type(tool).__name__}")
        _check_depth(tool, f"tools[{i}]")
        out.append(tool)
    return out


def _function_of(tool: Mapping, where: str) -> Mapping | None:
    """The function definition in ``tool`` (chat ``tools`` item or legacy ``functions`` item)."""
    if tool.get("type", "function") != "function":
        return None
    fn = tool.get("function", tool)
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise BadInputError(f"{where} is a function tool without a 'name'; give the function a name")
    return fn


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _ts_type(schema: Any, indent: int) -> str:
    """A JSON-schema fragment as the TypeScript type the model is shown (depth checked earlier)."""
    if not isinstance(schema, Mapping):
        return "any"
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return " | ".join(_literal(v) for v in schema["enum"])
    if "const" in schema:
        return _literal(schema["const"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return " | ".join(_ts_type(s, indent) for s in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_ts_type({**schema, "type": k}, indent) for k in kind) or "any"
    if kind == "string":
        return "string"
    if kind in ("number", "integer"):
        return "number"
    if kind in ("boolean", "null"):
        return kind
    if kind == "array":
        items = schema.get("items")
        return f"{_ts_type(items, indent)}[]" if isinstance(items, Mapping) else "any[]"
    if kind == "object" or "properties" in schema:
        if not _properties(schema):
            return "object"
        return "{\n" + _ts_properties(schema, indent + 2) + "\n}"
    return "any"


def _properties(schema: Mapping) -> Mapping:
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def _ts_properties(schema: Mapping, indent: int) -> str:
    required = schema.get("required")
    required = set(required) if isinstance(required, list) and all(isinstance(r, str) for r in required) else set()
    lines = []
    for key, prop in _properties(schema).items():
        desc = prop.get("description") if isinstance(prop, Mapping) else None
        if isinstance(desc, str) and desc:
            lines.append(f"// {desc}")
        lines.append(f"{key}{'' if key in required else '?'}: {_ts_type(prop, indent)},")
    return "\n".join(" " * indent + line for line in lines)


def render_openai_functions(functions: Iterable[Mapping]) -> str:
    """The ``namespace functions { ... }`` block OpenAI chat models are shown for function tools.

    Reverse-engineered (it reproduces billed counts, see the module doc), not published by OpenAI.
    """
    lines = ["namespace functions {", ""]
    for fn in functions:
        desc = fn.get("description")
        if isinstance(desc, str) and desc:
            lines.append(f"// {desc}")
        params = fn.get("parameters")
        if isinstance(params, Mapping) and _properties(params):
            lines += [f"type {fn['name']} = (_: {{", _ts_properties(params, 0), "}) => any;"]
        else:
            lines.append(f"type {fn['name']} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)


def _with_tools_as_json(counted: MessageCount, tools: list[Mapping] | None, tok: Tokenizer) -> MessageCount:
    """Non-OpenAI tokenizers: approximate the tool definitions by their JSON text."""
    if not tools:
        return counted
    extra = sum(tok.count_batch([json.dumps(t, ensure_ascii=False) for t in tools]))
    note = f"tool definitions approximated by their JSON text: no published tool rule for {tok.name}"
    return replace(counted, tokens=counted.tokens + extra, exact=False, notes=(*counted.notes, note),
                   tool_tokens=extra)


def _count_images(images: list[_Image], rule: str | None, uncounted: list[str]) -> int:
    total = 0
    for img in images:
        if rule == "openai-tiles":
            if img.detail == "low":
                total += 85
                continue
            if img.detail == "high" and img.size:
                total += openai_image_tokens(*img.size, "high")
                continue
            why = "detail=auto/unset: the model chooses low or high" if img.detail in (None, "auto") else (
                "image size unknown" if img.detail == "high" else f"detail={img.detail!r}"
            )
            uncounted.append(f"{img.where} (image: {why})")
        elif rule == "anthropic":
            if img.size:
                total += anthropic_image_tokens(*img.size)
            else:
                uncounted.append(f"{img.where} (image: size unknown)")
        else:
            uncounted.append(f"{img.where} (image: no documented rule for this tokenizer)")
    return total


def _call_parts(call: Any, where: str, uncounted: list[str]) -> tuple[str, str] | None:
    """``(name, arguments)`` of one tool call (``{"function": {...}}`` or a legacy function_call)."""
    fn = call.get("function", call) if isinstance(call, Mapping) else None
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
        uncounted.append(f"{where} (tool call without a function name)")
        return None
    args = fn.get("arguments", "")
    if not isinstance(args, str):
        _check_depth(args, f"{where}.arguments")
        try:
            args = json.dumps(args, ensure_ascii=False)
        except (TypeError, ValueError):
            uncounted.append(f"{where}.arguments (not JSON)")
            args = ""
    return fn["name"], args


_TOOL_ROLES = ("tool", "function")
_UNBILLED_KEYS = ("tool_call_id",)  # references the call; the model sees the function's name instead


def _count_openai(msgs: list[Mapping], tok: Tokenizer, image_rule: str | None,
                  tools: list[Mapping] | None) -> MessageCount:
    texts: list[str] = []
    images: list[_Image] = []
    uncounted: list[str] = []
    notes: list[str] = []
    fixed = OPENAI_REPLY_PRIMING
    multi_part = False
    tool_use = False
    call_names: dict[str, str] = {}
    first_system_text: int | None = None  # index in ``texts`` of the first system message's last text
    for i, m in enumerate(msgs):
        fixed += OPENAI_TOKENS_PER_MESSAGE
        role = m["role"]
        if role in _TOOL_ROLES:
            tool_use = True
            author = m.get("name")
            if not isinstance(author, str):
                ref = m.get("tool_call_id")
                author = call_names.get(ref) if isinstance(ref, str) else None
            if author is None:
                author = role
                notes.append(f"messages[{i}]: tool result without a function name (no 'name' and no matching "
                             f"earlier tool call): its role word counted instead")
            texts.append(author)
        for key, value in m.items():
            where = f"messages[{i}].{key}"
            if key == "content":
                n_parts = _parts(value, where, texts, images, uncounted)
                multi_part = multi_part or n_parts > 1
                if role == "system" and first_system_text is None and n_parts:
                    first_system_text = len(texts) - 1
            elif key in ("tool_calls", "function_call") and value is not None:
                tool_use = True
                calls = [value] if key == "function_call" else value
                if not isinstance(calls, (list, tuple)):
                    uncounted.append(f"{where} (not a list of tool calls)")
                    continue
                for j, call in enumerate(calls):
                    cw = where if key == "function_call" else f"{where}[{j}]"
                    parts = _call_parts(call, cw, uncounted)
                    if parts is None:
                        continue
                    fixed += OPENAI_TOKENS_PER_TOOL_CALL
                    texts.extend(parts)
                    call_id = call.get("id") if isinstance(call, Mapping) else None
                    if isinstance(call_id, str):
                        call_names[call_id] = parts[0]
            elif role in _TOOL_ROLES and key in ("role", "name", *_UNBILLED_KEYS):
                continue  # the author (function name) was counted above in place of these
            elif key in _UNBILLED_KEYS:
                continue
            elif isinstance(value, str):
                texts.append(value)
                if key == "name":
                    fixed += OPENAI_TOKENS_PER_NAME
            elif value is not None:
                uncounted.append(f"{where} (no documented counting rule)")
    tool_tokens = 0
    if tools:
        functions = []
        for k, tool in enumerate(tools):
            fn = _function_of(tool, f"tools[{k}]")
            if fn is None:
                uncounted.append(f"tools[{k}] ({tool.get('type')!r} tool: no counting rule)")
            else:
                functions.append(fn)
        if functions:
            tool_tokens = tok.count(render_openai_functions(functions)) + OPENAI_TOOLS_OVERHEAD
            if any(m["role"] == "system" for m in msgs):
                tool_tokens -= OPENAI_TOOLS_SYSTEM_SAVING
                if first_system_text is not None:  # the definitions follow the system text on a new line
                    texts[first_system_text] += "\n"
            notes.append("tool definitions counted as the 'namespace functions' block the model is shown; this "
                         "rule reproduces OpenAI's published billed counts for its cookbook example, other "
                         "schemas are not verified")
    if tool_use:
        notes.append("tool calls and tool results counted by a reverse-engineered rule (3 tokens + name + "
                     "arguments per call; a result is authored by its function's name), not a published one")
    tokens = fixed + sum(tok.count_batch(texts)) + _count_images(images, image_rule, uncounted) + tool_tokens
    if multi_part:
        notes.append("several text parts in one message: each part counted on its own (OpenAI documents no rule)")
    exact = tok.exact and not uncounted and not multi_part and not tools and not tool_use
    return MessageCount(tokens, exact, tok.name, "openai-chat", tuple(uncounted), tuple(notes), tool_tokens)


def _count_llama(msgs: list[Mapping], tok: Any) -> MessageCount:
    sp = tok.special_tokens
    if tok.name == "llama3":
        start, end, eot = sp["<|start_header_id|>"], sp["<|end_header_id|>"], sp["<|eot_id|>"]
        eom = sp["<|eom_id|>"]
    else:
        start, end, eot = sp["<|header_start|>"], sp["<|header_end|>"], sp["<|eot|>"]
        eom = sp["<|eom|>"]
    enc = tok.encode_ordinary
    ids: list[int] = [sp["<|begin_of_text|>"]]
    uncounted: list[str] = []
    notes: list[str] = []

    def header(role: str) -> list[int]:
        return [start, *enc("ipython" if role == "tool" else role), end, *enc("\n\n")]

    for i, m in enumerate(msgs):
        role = m["role"]  # checked by _as_mapping
        ids += header(role)
        texts: list[str] = []
        images: list[_Image] = []
        _parts(m.get("content"), f"messages[{i}].content", texts, images, uncounted)
        for t in texts:  # llama-models encodes each text part on its own
            ids += enc(t)
        _count_images(images, None, uncounted)
        for key, value in m.items():
            if key not in ("role", "content") and value is not None:
                uncounted.append(f"messages[{i}].{key} (not part of the Llama chat template)")
        # Llama 4 ends tool results with <|eom|> (llama_models/llama4/chat_format.py); same count.
        ids.append(eom if (tok.name == "llama4" and role == "tool") else eot)
    ids += header("assistant")
    exact = not uncounted
    return MessageCount(len(ids), exact, tok.name, f"{tok.name}-chat", tuple(uncounted), tuple(notes))


def _count_chatml(msgs: list[Mapping], tok: Tokenizer) -> MessageCount:
    uncounted: list[str] = []
    segments: list[str] = []
    n_special = 0
    multi_part = False
    for i, m in enumerate(msgs):
        role = m["role"]  # checked by _as_mapping
        texts: list[str] = []
        images: list[_Image] = []
        if _parts(m.get("content"), f"messages[{i}].content", texts, images, uncounted) > 1:
            multi_part = True
        _count_images(images, None, uncounted)
        for key, value in m.items():
            if key not in ("role", "content") and value is not None:
                uncounted.append(f"messages[{i}].{key} (not part of the ChatML template)")
        segments.append(role + "\n" + "".join(texts))  # <|im_start|> role\ncontent <|im_end|>
        segments.append("\n")
        n_special += 2
    segments.append("assistant\n")
    n_special += 1
    tokens = n_special + sum(tok.count_batch(segments))
    notes = ["ChatML framing per Qwen's chat template; a default system prompt some templates add is not counted"]
    if multi_part:
        notes.append("several text parts in one message were joined without separator")
    exact = tok.exact and not uncounted and not multi_part
    return MessageCount(tokens, exact, tok.name, "chatml", tuple(uncounted), tuple(notes))


def _count_content_only(msgs: list[Mapping], tok: Tokenizer) -> MessageCount:
    uncounted: list[str] = []
    texts: list[str] = []
    images: list[_Image] = []
    for i, m in enumerate(msgs):
        _parts(m.get("content"), f"messages[{i}].content", texts, images, uncounted)
        for key, value in m.items():
            if key not in ("role", "content", "name") and value is not None:
                uncounted.append(f"messages[{i}].{key} (no counting rule)")
    rule = "anthropic" if tok.name in ("approx:claude", "approx:claude-4.7") else None
    tokens = sum(tok.count_batch(texts)) + _count_images(images, rule, uncounted)
    notes = [f"no chat framing rule is implemented for {tok.name}: framing tokens are not counted"]
    if rule == "anthropic" and images:
        notes.append("images estimated with Anthropic's documented width*height/750 rule")
    return MessageCount(tokens, False, tok.name, "none", tuple(uncounted), tuple(notes))

