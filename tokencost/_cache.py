"""The user's private cache directory: derived data that is slow to rebuild, never a source of truth.

Everything here can be deleted at any time.  A cache file is trusted only when the directory and the
file are owned by this user and writable by nobody else (others cannot forge it), and it is
re-derived whenever the file it was derived from changes (path, size, mtime, inode).
"""

from __future__ import annotations

import mmap
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """``$TOKENCOST_CACHE_DIR`` or the user cache directory."""
    env = os.environ.get("TOKENCOST_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs  # only when the default location is needed

    return Path(platformdirs.user_cache_dir("tokencost", appauthor=False))


def private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    getuid = getattr(os, "geteuid", None)
    if getuid is None:  # Windows: per-user profile directories; no POSIX modes to check
        return True
    return st.st_uid == getuid() and not (st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def trusted_dir(create: bool) -> Path | None:
    """The cache directory if it is private to this user (created 0700 when ``create``)."""
    d = cache_dir()
    try:
        if create:
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(d)
    except OSError:
        return None
    return d if stat.S_ISDIR(st.st_mode) and private(st) else None


def _open_private(path: Path) -> tuple[int, os.stat_result] | None:
    """An open descriptor of a private regular file in the trusted directory (never through a symlink)."""
    if trusted_dir(create=False) is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode) or not private(st):
        os.close(fd)
        return None
    return fd, st


def read_private(path: Path) -> bytes | None:
    """The bytes of a private regular file in the trusted directory, or None."""
    opened = _open_private(path)
    if opened is None:
        return None
    try:
        with os.fdopen(opened[0], "rb") as f:
            return f.read()
    except OSError:
        return None


def map_private(path: Path) -> mmap.mmap | None:
    """A read-only memory map of a private regular file in the trusted directory, or None.

    Mapping instead of reading copies nothing: a reader that looks at a few pages of a large
    file touches only those.
    """
    opened = _open_private(path)
    if opened is None:
        return None
    fd, st = opened
    try:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if st.st_size else None
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def identity(path: Path) -> tuple[str, int, int, int] | None:
    """What changes when a file changes: its path, size, modification time and inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ino)


# --- parsed TOML data files -----------------------------------------------------------------------
# Parsing the shipped TOML files costs more than validating them; the parsed values are cached with
# marshal (it cannot run code), Decimals and dates tagged so they come back as the same types.

_TAG_DECIMAL = "\x00decimal"
_TAG_DATE = "\x00date"


def _encode(value: object) -> object:
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, Decimal):
        return (_TAG_DECIMAL, str(value))
    if isinstance(value, dt.date):
        return (_TAG_DATE, value.isoformat())
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: object) -> object:
    import datetime as dt
    from decimal import Decimal

    tags = {_TAG_DECIMAL: Decimal, _TAG_DATE: dt.date.fromisoformat}

    def walk(v: object) -> object:  # imports and the tag table looked up once, not at every node
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, tuple) and len(v) == 2 and v[0] in tags:
            return tags[v[0]](v[1])
        return v

    return walk(value)


def parsed_toml(path: Path, parse: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """``parse(path)``, from the cache while ``path`` is unchanged (same path, size, mtime, inode)."""
    import hashlib
    import marshal
    import sys

    ident = identity(path)
    if ident is None:
        return parse(path)
    key = hashlib.sha256(repr((ident, sys.version_info[:2], marshal.version)).encode()).hexdigest()[:32]
    cached = cache_dir() / f"toml-v1-{key}.bin"
    blob = read_private(cached)
    if blob is not None:
        try:
            stored_ident, data = marshal.loads(blob)
            if tuple(stored_ident) == ident and isinstance(data, dict):
                return _decode(data)  # type: ignore[return-value]
        except (ValueError, EOFError, TypeError):
            pass
    raw = parse(path)
    if trusted_dir(create=True) is not None:
        from ._fs import write_atomic
        from .errors import TokencostError

        try:
            write_atomic(cached, marshal.dumps((ident, _encode(raw))), mode=0o600, durable=False)
        except (OSError, TokencostError, ValueError):
            pass  # a cache that cannot be written only costs speed
    return raw
