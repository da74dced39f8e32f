"""Reading what the user points at: prompt files, stdin, chat-message files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import BadInputError


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
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise BadInputError(f"{path!r} is nested too deeply to be chat messages") from None
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise BadInputError(f"{path!r} must hold a list of chat messages or an object with a \"messages\" list")
    tools = data.get("tools") if isinstance(data, dict) else None
    if tools is not None and not isinstance(tools, list):
        raise BadInputError(f"{path!r}: \"tools\" must be a list of tool definitions")
    return messages, tools
