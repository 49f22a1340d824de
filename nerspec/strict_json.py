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
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue

TOO_DEEP = "JSON nested too deeply"
_LONG_INTEGER = re.compile(r"-?\d{4000,}")  # near Python's 4,300-digit limit on converting text to int


class _BadNumber(ValueError):
    def __init__(self, token: str, reason: str) -> None:
        super().__init__(reason)
        self.token, self.reason = token, reason


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _BadNumber(token, f"the number {_short(token)} is out of range")
    return value


def _constant(token: str) -> NoReturn:
    raise _BadNumber(token, f"`{token}` is not a JSON number")


def _short(token: str) -> str:
    return token if len(token) <= 24 else f"{token[:20]}…"


@dataclass
class Parsed:
    value: JsonValue
    duplicates: list[str] = field(default_factory=list)  # keys given twice in one object (the last value kept)


_seen = threading.local()  # the duplicate keys of the parse running on this thread


def _pairs(items: list[tuple[str, JsonValue]]) -> JsonObject:
    record = dict(items)
    if len(record) != len(items):  # the common case costs one len(); only a duplicate walks the keys
        keys: set[str] = set()
        _seen.duplicates.extend(key for key, _ in items if key in keys or keys.add(key))  # type: ignore[func-returns-value]
    return record


# Built once: ``json.loads`` with any keyword builds a new decoder per call, which doubled the cost of a record.
# Integers are left to the C scanner (a hook per integer cost more than the rest): one too long for Python to
# convert raises a plain ValueError, turned into a located error below; offsets are range-checked by their readers.
_DECODER = json.JSONDecoder(parse_float=_float, parse_constant=_constant, object_pairs_hook=_pairs)


def parse(text: str | bytes) -> Parsed:
    """``text`` parsed strictly; a ``json.JSONDecodeError`` (with line and column) for anything unusable."""
    source = text if isinstance(text, str) else text.decode("utf-8")
    duplicates: list[str] = []
    _seen.duplicates = duplicates
    try:
        value = _DECODER.decode(source)
    except json.JSONDecodeError:
        raise
    except _BadNumber as exc:
        raise json.JSONDecodeError(exc.reason, source, max(source.find(exc.token), 0)) from None
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, source, 0) from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        found = _LONG_INTEGER.search(source)
        digits = len(found.group().lstrip("-")) if found else 0
        raise json.JSONDecodeError(f"an integer of {digits} digits", source, found.start() if found else 0) from exc
    return Parsed(value, duplicates)


def loads(text: str | bytes) -> JsonValue:
    """The value of ``parse``, for callers that do not report duplicate keys."""
    return parse(text).value


def items_of(value: JsonValue) -> Iterable[JsonValue]:
    """What ``for`` iterates in a parsed value (a list's items, an object's keys, a string's characters); a number,
    boolean or ``null`` raises the ``TypeError`` iterating it would, for the reader's one ``except`` to word."""
    if isinstance(value, (list, dict, str)):
        return value
    raise TypeError(f"'{type(value).__name__}' object is not iterable")


def float_of(value: JsonValue) -> float:
    """``float(value)`` of a parsed value, raising the ``TypeError`` or ``ValueError`` that ``float`` would."""
    if isinstance(value, (int, float, str)):
        return float(value)
    raise TypeError(f"float() argument must be a string or a real number, not '{type(value).__name__}'")


def duplicate_note(duplicates: list[str]) -> str:
    """A warning's wording for duplicate keys (``""`` when there are none)."""
    if not duplicates:
        return ""
    names = ", ".join(f"`{key}`" for key in dict.fromkeys(duplicates[:5]))
    return f"duplicate JSON key {names}: the last value is used"
