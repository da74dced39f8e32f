"""The ``tokencost`` command: parse the options, call the library, render the rows.

This package is the only place that imports click.  Library errors become one line on stderr and
the error's exit code (2 for bad input, 1 otherwise); nothing a user can type ends in a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

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


def main() -> NoReturn:
    """Entry point of the ``tokencost`` command: runs it, then ends the process.

    To run the command inside a process that goes on, invoke :data:`cli` (e.g. with click's
    ``CliRunner``).
    """
    try:
        cli.main(prog_name="tokencost")
    except SystemExit as exc:
        _end(exc.code)
    _end(0)


def _end(code: object) -> NoReturn:
    """Leave with ``code`` as ``sys.exit`` would, without the interpreter's teardown when that is safe.

    Once the output is flushed, tearing down every module and freeing every object costs a short
    command 80-100 ms (a quarter of a warm ``tokencost estimate``) and does nothing the operating
    system does not do at exit.  So the process ends here, after the exit handlers, unless a Spark
    session may be running or a thread other than a daemon is still working: then Python exits
    the normal way.
    """
    import atexit
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    busy = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if "pyspark" in sys.modules or busy or run_exit_handlers is None:
        sys.exit(status)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: let Python report it as it always does
        sys.exit(status)
    run_exit_handlers()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
