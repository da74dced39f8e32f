"""Atomic writes (tokencost._fs.write_atomic): only regular files replaced, modes kept, no temp left."""

from __future__ import annotations

import os
import stat

import pytest

from tokencost._fs import write_atomic
from tokencost.errors import BadInputError


def _listing(d):
    return sorted(p.name for p in d.iterdir())


def test_new_file_gets_umask_mode_and_no_temp_is_left(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "out.csv", "a,b\n")
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").read_text() == "a,b\n"
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o640
    assert _listing(tmp_path) == ["out.csv"]
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "b.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o644


def test_overwritten_file_keeps_its_mode(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old")
    os.chmod(target, 0o604)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_fifo_is_refused_and_left_in_place(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="is a FIFO; only a regular file is ever replaced"):
        write_atomic(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _listing(tmp_path) == ["pipe"]


def test_directory_and_device_are_refused(tmp_path):
    with pytest.raises(BadInputError, match="is a directory"):
        write_atomic(tmp_path, "x")
    if os.path.exists("/dev/null"):
        with pytest.raises(BadInputError, match="character device"):
            write_atomic("/dev/null", "x")
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_symlink_is_written_through_not_replaced(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    os.chmod(real, 0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new" and stat.S_IMODE(real.stat().st_mode) == 0o600
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    to_fifo = tmp_path / "to-fifo"
    to_fifo.symlink_to(fifo)
    with pytest.raises(BadInputError, match="FIFO"):
        write_atomic(to_fifo, "x")


def test_missing_or_unwritable_folder_is_bad_input_naming_it(tmp_path):
    missing = tmp_path / "nope" / "deeper"
    with pytest.raises(BadInputError, match=f"folder '{missing}' does not exist"):
        write_atomic(missing / "out.csv", "x")
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        os.chmod(ro, 0o500)
        try:
            with pytest.raises(BadInputError, match=f"cannot write into folder '{ro}'"):
                write_atomic(ro / "out.csv", "x")
        finally:
            os.chmod(ro, 0o700)


def test_temp_file_is_removed_when_interrupted(tmp_path, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "out.csv", "x" * 1000)
    assert _listing(tmp_path) == []


def test_stale_temp_files_of_dead_runs_are_cleaned_up(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".out.csv.{pid}.abcd1234.tmp"
    stale.write_text("partial")
    alive = tmp_path / f".out.csv.{os.getppid()}.abcd1234.tmp"  # a running process: left alone
    alive.write_text("in use")
    write_atomic(tmp_path / "out.csv", "done")
    assert _listing(tmp_path) == sorted([alive.name, "out.csv"])


def test_only_durable_writes_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    write_atomic(tmp_path / "out.csv", "a,b\n")
    assert len(synced) == 1
    write_atomic(tmp_path / "cache.bin", b"x", durable=False)  # a cache: its reader checks it
    assert len(synced) == 1 and (tmp_path / "cache.bin").read_bytes() == b"x"
