"""The ``tokencost`` command: parse the options, call the library, render the rows.

This package is the only place that imports click.  Library errors become one line on stderr and
the error's exit code (2 for bad input, 1 otherwise); nothing a user can type ends in a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import TokencostError


#: Each command and where it lives: a command's module is imported only when that command runs
#: (or when --help lists it), so `tokencost estimate` does not pay for the self-hosting model.
COMMANDS = {
    "estimate": ("estimate", "estimate_cmd"),
    "count": ("count", "count_cmd"),
    "reprice": ("reprice", "reprice_command"),
    "models": ("prices", "models_cmd"),
    "prices": ("prices", "prices"),
    "selfhost": ("selfhost", "selfhost_command"),
    "breakeven": ("selfhost", "breakeven_command"),
    "plan": ("selfhost", "plan_command"),
}


class ErrorsAsExitCodes(click.Group):
    """Domain errors become one line on stderr and the error's exit code (2 bad input, 1 other);
    commands are loaded on first use (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib

        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TokencostError as exc:
            _report(exc)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            name = exc.ctx.command_path if exc.ctx else "tokencost"
            _report(f"{exc.format_message()} (see '{name} --help')")
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except RecursionError:
            _report("the input is nested too deeply to read")
            ctx.exit(2)
        except Exception as exc:  # noqa: BLE001 - users get one line, developers set TOKENCOST_DEBUG
            if os.environ.get("TOKENCOST_DEBUG"):
                raise
            _report(f"internal error: {type(exc).__name__}: {exc} (set TOKENCOST_DEBUG=1 for details)")
            ctx.exit(1)


def _report(exc: BaseException | str) -> None:
    lines = str(exc).splitlines() or [type(exc).__name__]
    click.echo(f"tokencost: error: {lines[0]}", err=True)
    for line in lines[1:]:
        click.echo(f"  {line}", err=True)


@click.group(cls=ErrorsAsExitCodes, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="tokencost")
def cli() -> None:
    """What your LLM traffic costs: exact token counts, sourced and dated prices."""


def main() -> None:
    """Entry point of the ``tokencost`` command."""
    cli.main(prog_name="tokencost")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
