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
import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BadInputError
from .tokenizers import TiktokenTokenizer, Tokenizer, get_tokenizer

__all__ = ["MessageCount", "count_messages", "openai_image_tokens", "anthropic_image_tokens", "image_size"]

OPENAI_TOKENS_PER_MESSAGE = 3
OPENAI_TOKENS_PER_NAME = 1
OPENAI_REPLY_PRIMING = 3

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
        return message
    dump = getattr(message, "model_dump", None)
    if callable(dump):
        out = dump()
        if isinstance(out, Mapping):
            return out
    raise BadInputError(f"{where} must be a mapping with 'role' and 'content', got {type(message).__name__}")


def count_messages(
    messages: Iterable[Any],
    tokenizer_name: str,
    *,
    image_rule: str | None = None,
    system: str | None = None,
) -> MessageCount:
    """Count chat ``messages`` for the tokenizer ``tokenizer_name`` (see module doc).

    ``image_rule="openai-tiles"`` counts images by OpenAI's gpt-4o tile rule; pass it only
    for models that rule applies to.  ``system`` is an Anthropic-style top-level system
    prompt, counted as a leading system message.
    """
    if isinstance(messages, (str, bytes, Mapping)):
        raise BadInputError("messages must be a list of {'role': ..., 'content': ...} mappings")
    if image_rule is not None and image_rule not in IMAGE_RULES:
        raise BadInputError(f"unknown image_rule {image_rule!r}; known: {', '.join(IMAGE_RULES)}")
    tok = get_tokenizer(tokenizer_name)
    msgs = [_as_mapping(m, f"messages[{i}]") for i, m in enumerate(messages)]
    if system is not None:
        msgs = [{"role": "system", "content": system}, *msgs]
    name = tok.name
    if name in ("o200k_base", "cl100k_base"):
        return _count_openai(msgs, tok, image_rule)
    if name in ("llama3", "llama4"):
        return _count_llama(msgs, tok)  # type: ignore[arg-type]
    if name == "qwen":
        return _count_chatml(msgs, tok)  # type: ignore[arg-type]
    return _count_content_only(msgs, tok)


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


def _count_openai(msgs: list[Mapping], tok: Tokenizer, image_rule: str | None) -> MessageCount:
    texts: list[str] = []
    images: list[_Image] = []
    uncounted: list[str] = []
    notes: list[str] = []
    fixed = OPENAI_REPLY_PRIMING
    multi_part = False
    for i, m in enumerate(msgs):
        fixed += OPENAI_TOKENS_PER_MESSAGE
        for key, value in m.items():
            where = f"messages[{i}].{key}"
            if key == "content":
                if _parts(value, where, texts, images, uncounted) > 1:
                    multi_part = True
            elif isinstance(value, str):
                texts.append(value)
                if key == "name":
                    fixed += OPENAI_TOKENS_PER_NAME
            elif value is not None:
                uncounted.append(f"{where} (no documented counting rule)")
    tokens = fixed + sum(tok.count_batch(texts)) + _count_images(images, image_rule, uncounted)
    if multi_part:
        notes.append("several text parts in one message: each part counted on its own (OpenAI documents no rule)")
    exact = tok.exact and not uncounted and not multi_part
    return MessageCount(tokens, exact, tok.name, "openai-chat", tuple(uncounted), tuple(notes))


def _count_llama(msgs: list[Mapping], tok: TiktokenTokenizer) -> MessageCount:
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
        role = m.get("role")
        if not isinstance(role, str):
            raise BadInputError(f"messages[{i}].role must be a string, got {role!r}")
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
        role = m.get("role")
        if not isinstance(role, str):
            raise BadInputError(f"messages[{i}].role must be a string, got {role!r}")
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
    rule = "anthropic" if tok.name == "approx:claude" else None
    tokens = sum(tok.count_batch(texts)) + _count_images(images, rule, uncounted)
    notes = [f"no chat framing rule is implemented for {tok.name}: framing tokens are not counted"]
    if rule == "anthropic" and images:
        notes.append("images estimated with Anthropic's documented width*height/750 rule")
    return MessageCount(tokens, False, tok.name, "none", tuple(uncounted), tuple(notes))

