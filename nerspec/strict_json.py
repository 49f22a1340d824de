"""The one JSON parser for input nerspec did not write: bounded numbers, no recursion errors, duplicate keys seen.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into ``inf`` and a 5,000-digit integer into a
``ValueError`` that is not a ``JSONDecodeError`` (the 4,300-digit conversion limit); nesting 100,000 levels deep
raises ``RecursionError``. Each of those used to escape the callers' ``except json.JSONDecodeError`` and end the
command with exit 70. Here every one is a ``JSONDecodeError`` with a position, so a caller's one handler words it
as a located error. A key given twice keeps its last value, as JSON parsers do, and is reported in ``duplicates``
so a reader can warn (duplicate YAML keys are errors; a data file's are warnings, its tool wrote them).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

# Offsets, counts and ids are far shorter; anything longer is a corrupt or hostile file, not a number to read.
MAX_INTEGER_DIGITS = 40
TOO_DEEP = "JSON nested too deeply"


class _BadNumber(ValueError):
    def __init__(self, token: str, reason: str) -> None:
        super().__init__(reason)
        self.token, self.reason = token, reason


def _integer(token: str) -> int:
    if len(token) > MAX_INTEGER_DIGITS and len(token.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _BadNumber(token, f"an integer of {len(token.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS})")
    return int(token)


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _BadNumber(token, f"the number {_short(token)} is out of range")
    return value


def _constant(token: str) -> Any:
    raise _BadNumber(token, f"`{token}` is not a JSON number")


def _short(token: str) -> str:
    return token if len(token) <= 24 else f"{token[:20]}…"


@dataclass
class Parsed:
    value: Any
    duplicates: list[str] = field(default_factory=list)  # keys given twice in one object (the last value kept)


def parse(text: str | bytes) -> Parsed:
    """``text`` parsed strictly; a ``json.JSONDecodeError`` (with line and column) for anything unusable."""
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        record = dict(items)
        if len(record) != len(items):  # the common case costs one len(); only a duplicate walks the keys
            seen: set[str] = set()
            duplicates.extend(key for key, _ in items if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        return record

    source = text if isinstance(text, str) else text.decode("utf-8")
    try:
        value = json.loads(source, parse_int=_integer, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=pairs)
    except _BadNumber as exc:
        raise json.JSONDecodeError(exc.reason, source, max(source.find(exc.token), 0)) from None
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, source, 0) from None
    return Parsed(value, duplicates)


def loads(text: str | bytes) -> Any:
    """The value of ``parse``, for callers that do not report duplicate keys."""
    return parse(text).value


def duplicate_note(duplicates: list[str]) -> str:
    """A warning's wording for duplicate keys (``""`` when there are none)."""
    if not duplicates:
        return ""
    names = ", ".join(f"`{key}`" for key in dict.fromkeys(duplicates[:5]))
    return f"duplicate JSON key {names}: the last value is used"
