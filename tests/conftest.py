"""Test-wide rules: no network but loopback, no user config, hypothesis sized for a 2-core CI."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is None:  # AF_UNIX
        return
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise OSError(f"tests may not use the network (tried to connect to {host!r})")


def _guarded_connect(self, address):
    _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _loopback_only(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("tokencost-cache"))


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path, _session_cache):
    """Keep the user's price overrides and config out; share one vocab cache per test session."""
    monkeypatch.delenv("TOKENCOST_PRICING_PATH", raising=False)
    monkeypatch.delenv("TOKENCOST_DEBUG", raising=False)
    monkeypatch.setenv("TOKENCOST_CACHE_DIR", _session_cache)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    yield


def run_cli(*args: str, input: str | bytes | None = None) -> tuple[int, str, str]:
    """Run the ``tokencost`` command in-process; returns (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from tokencost.cli import cli

    result = CliRunner().invoke(cli, list(args), input=input, prog_name="tokencost")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def invoke():
    """The one CLI harness of the test suite (:func:`run_cli`)."""
    return run_cli


def cli_result(args: list[str], **kwargs):
    """The same harness as :func:`run_cli`, returning click's ``Result`` (``exit_code``, ``output``)."""
    from click.testing import CliRunner

    from tokencost.cli import cli

    return CliRunner().invoke(cli, list(args), prog_name="tokencost", **kwargs)
