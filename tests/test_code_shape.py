"""The package stays small enough to read: no module over 400 lines, no function over 60 (from its ``def`` to its
last line: the docstring and nested functions count, a command's option decorators do not)."""

from __future__ import annotations

import ast
from pathlib import Path

import nerspec

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
PACKAGE = Path(nerspec.__file__).parent


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, ``def`` line, length) of every function longer than the limit."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, node.lineno, length))
    return found


def test_no_module_is_over_400_lines() -> None:
    modules = _modules()
    assert len(modules) > 100  # the whole package was read
    too_long = {str(p.relative_to(PACKAGE)): n for p in modules if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}


def test_no_function_is_over_60_lines() -> None:
    too_long = {
        f"{p.relative_to(PACKAGE)}:{line} {name}": length
        for p in _modules()
        for name, line, length in long_functions(p.read_text(encoding="utf-8"))
    }
    assert too_long == {}


def test_the_function_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def short():\n    return 1\n\n\n@decorated\ndef long():\n{body}\n") == [("long", 6, 61)]
