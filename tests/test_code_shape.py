"""The package stays small enough to read: no module over 400 lines, no function over 60 (from its ``def`` to its
last line: the docstring and nested functions count, a command's option decorators do not)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
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


# `Any` in the package: names (annotations, imports, `typing.Any`) and the word in comments and strings, counted by
# line as `grep -rw Any nerspec` counts them. Lower the ceiling as types replace `Any`; never raise it.
MAX_ANY_LINES = 38
_WORD_ANY = re.compile(r"\bAny\b")


def any_lines(source: str) -> set[int]:
    """The lines of ``source`` that mention ``Any``: as a name (``Any``, ``typing.Any``, ``import Any``) or as the
    word in a comment, docstring or other string."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            (isinstance(node, ast.Name) and node.id == "Any")
            or (isinstance(node, ast.Attribute) and node.attr == "Any")
            or (isinstance(node, ast.alias) and node.name == "Any")
        ):
            lines.add(node.lineno)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            lines.update(token.start[0] + n for n, text in enumerate(token.string.split("\n")) if _WORD_ANY.search(text))
    return lines


def test_any_stays_under_its_ceiling() -> None:
    per_module = {str(p.relative_to(PACKAGE)): len(any_lines(p.read_text(encoding="utf-8"))) for p in _modules()}
    total = sum(per_module.values())
    worst = sorted(per_module.items(), key=lambda item: -item[1])[:10]
    assert total <= MAX_ANY_LINES, f"{total} lines mention `Any` (ceiling {MAX_ANY_LINES}); most in {worst}"


def test_the_any_count_sees_names_comments_and_strings() -> None:
    source = (
        "from typing import (\n    Any,\n    cast,\n)\nimport typing\n"
        "x: dict[str, Any] = {}  # a plain comment\n"
        "y: typing.Any = None\n"
        "# Any word in a comment\n"
        "def f() -> None:\n    '''Docstring line.\n\n    Any on the third line.'''\n"
        "AnyProject = int  # a longer name is not the word\n"
        "z = 'Anyone'\n"
    )
    assert sorted(any_lines(source)) == [2, 6, 7, 8, 12]
