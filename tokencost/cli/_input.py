"""Reading what the user points at: prompt files, stdin, chat-message files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import BadInputError
from ..messages import parse_chat_request


def read_text(path: str) -> str:
    """A prompt file (or ``-`` for stdin) as text; unreadable or non-UTF-8 input is a bad-input error."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise BadInputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path!r} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def prompt_path(path: str) -> Path:
    """A prompt file to count streamed: it must exist and be readable."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise BadInputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    return Path(path)


def read_messages(path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """Chat messages from a JSON file: a list of messages, or a request object with ``messages``
    (and perhaps ``tools``).  Returns ``(messages, tools)``."""
    return parse_chat_request(read_text(path), repr(path))


def read_tools(path: str) -> list[dict[str, Any]]:
    """OpenAI tool definitions from a JSON file: a list, or an object with a ``tools`` list."""
    text = read_text(path)
    stripped = text.lstrip()
    wrapped = text if stripped.startswith("{") else '{"messages": [], "tools": ' + text + "}"
    _, tools = parse_chat_request(wrapped, repr(path))
    if tools is None:
        raise BadInputError(f"{path!r} must hold a list of tool definitions or an object with a \"tools\" list")
    return tools
