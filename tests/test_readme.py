"""Every command line in README.md's code blocks runs against the shipped examples."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_OPTIONS = ("-o", "--output", "--plot")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("tokencost "):
                commands.append(line)
    return commands


def test_the_readme_has_command_lines_to_check():
    assert len(readme_commands()) >= 10


@pytest.mark.parametrize("line", readme_commands())
def test_readme_command_runs(line, tmp_path, monkeypatch):
    args = shlex.split(line)[1:]
    for i, arg in enumerate(args[:-1]):
        if arg in OUTPUT_OPTIONS:  # outputs go to a scratch folder, not the checkout
            args[i + 1] = str(tmp_path / Path(args[i + 1]).name)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run_cli(*args)
    assert code == 0, f"{line}\n{err}"
    assert max((len(x) for x in out.splitlines()), default=0) <= 100, f"{line}: a line is wider than 100"


def test_the_quickstart_command_fits_100_columns():
    code, out, err = run_cli("estimate", "examples/prompt.txt", "--response-tokens", "300")
    assert code == 0, err
    assert all(len(line) <= 100 for line in out.splitlines())


def test_help_shows_every_summary_uncut_and_dates_and_decimals_by_name():
    code, out, _ = run_cli("--help")
    commands = out.split("Commands:", 1)[1]
    assert code == 0 and "..." not in commands
    code, out, _ = run_cli("estimate", "--help")
    assert "--as-of DATE" in out and "TEXT" not in out and "FLOAT" not in out
    assert "%Y" not in out


