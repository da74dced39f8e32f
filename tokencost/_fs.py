"""Atomic file writes that never replace anything but a regular file.

``write_atomic`` writes to a temporary file in the target's folder and renames it over the
target, so a reader sees the old file or the whole new one.  The rules (issue 8):

* only a regular file (or nothing) is ever replaced: a FIFO, device, socket or directory is
  refused with a BadInputError;
* a symlink is written through: its final target is replaced, the link itself stays;
* a new file gets the usual mode (0o666 minus the umask, applied by the kernel); an
  overwritten file keeps its mode;
* a missing or unwritable folder is a BadInputError that names the folder;
* the temporary file is removed on any failure, Ctrl-C included, and temporary files that a
  killed run left behind (their process no longer exists) are removed on the next write.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import BadInputError

__all__ = ["write_atomic"]

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}."


def _remove_stale(target: Path) -> None:
    """Remove ``.<name>.<pid>.<random>.tmp`` files whose writing process is gone."""
    prefix = _tmp_prefix(target)
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # still running: its file is in use
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue  # someone else's process: leave it alone
        try:
            os.unlink(target.parent / name)
        except OSError:
            pass


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Sequence[bytes | memoryview], *,
                 mode: int | None = None, durable: bool = True) -> None:
    """Write ``data`` (text as UTF-8, or buffers one after another) to ``path`` so readers see the old
    file or the whole new one.

    ``mode`` sets the permissions of a new file (before the umask; default 0o666).  ``durable=False``
    skips the fsync, for caches whose reader checks what it reads and rebuilds it when damaged.
    """
    given = Path(path)
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    folder = target.parent if str(target.parent) else Path(".")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise BadInputError(f"cannot write {str(given)!r}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise BadInputError(f"{str(given)!r} is {kind}; only a regular file is ever replaced, choose a file path")
    if not folder.is_dir():
        raise BadInputError(f"folder {str(folder)!r} does not exist; create it first or choose another path")
    _remove_stale(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    parts = [payload] if isinstance(payload, (bytes, bytearray, memoryview)) else list(payload)
    tmp = folder / f"{_tmp_prefix(target)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o666 if mode is None else mode)  # the kernel applies the umask
    except OSError as exc:
        raise BadInputError(f"cannot write into folder {str(folder)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if st is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            for part in parts:
                fh.write(part)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise BadInputError(f"cannot write {str(given)!r}: {exc.strerror or exc}") from None
        raise


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 120) -> None:
    """A matplotlib figure as a PNG at ``path``, with the same rules as every export (atomic, regular
    files only, a missing folder is a clear error)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    write_atomic(path, buf.getvalue())
