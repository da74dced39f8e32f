"""The package's shape: no import cycle, click only in the CLI, a small typed public surface."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import tokencost

PACKAGE = Path(tokencost.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every tokencost module ``path`` imports: at the top, inside functions, for type checking alike."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        nonlocal found
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tokencost"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("tokencost"):
                submodules = set()
                for alias in node.names:  # `from . import x` may name a submodule
                    candidate = f"{target}.{alias.name}"
                    if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or \
                            (PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py").exists():
                        submodules.add(candidate)
                found |= submodules if len(submodules) == len(node.names) else submodules | {target}
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_the_package_has_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = walk(start)
            assert cycle is None, " -> ".join(cycle)


def test_only_the_cli_package_imports_click():
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts[:1] or path.name.startswith("cli_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(n == "click" or n.startswith("click.") for n in names), path


def test_import_tokencost_loads_neither_pydantic_nor_click_nor_tiktoken():
    code = "import sys, tokencost; print(sorted(m for m in ('pydantic', 'click', 'tiktoken') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_surface_is_small_typed_and_versioned():
    assert len(tokencost.__all__) <= 14
    for name in tokencost.__all__:
        assert getattr(tokencost, name) is not None
    assert (PACKAGE / "py.typed").exists()
    from importlib.metadata import version

    assert tokencost.__version__ == version("tokencost")


def test_a_deprecated_name_still_works_and_says_where_it_lives():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tokencost.Comparison.__name__ == "Comparison"
    assert any("tokencost.results" in str(w.message) for w in caught)


def test_every_public_function_has_a_return_type():
    import inspect

    for name in tokencost.__all__:
        obj = getattr(tokencost, name, None)
        if inspect.isfunction(obj):
            assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, name


def _commands(group, path=()):
    import click

    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_option_of_every_command_has_help_text_and_a_named_metavar():
    import click

    from tokencost.cli import cli

    for path, command in _commands(cli):
        assert command.help or command.short_help, path
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"
                if not param.is_flag:
                    assert param.type.name not in ("text", "float") or param.metavar, \
                        f"{' '.join(path)} {param.opts[0]} shows as {param.type.name.upper()}"
