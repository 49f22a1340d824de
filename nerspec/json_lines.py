"""The one JSON Lines reader: numbered, parsed records, and for a bad line the reason, never an exception.

Records are parsed by ``nerspec.strict_json`` (bounded numbers, duplicate keys reported).

Callers word their own errors (a data file's ``file:line:col``, a prediction input's ``line N``) from
``JsonLine``; blank lines are skipped. Lines are split on ``\\n`` only (``str.splitlines`` would also break on
U+2028, which is legal inside JSON strings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerspec.strict_json import TOO_DEEP, parse

if TYPE_CHECKING:
    from nerspec.json_types import JsonValue


@dataclass(frozen=True)
class JsonLine:
    number: int  # 1-based line number
    text: str  # the line, without its newline
    record: JsonValue = None
    error: str | None = None  # "Expecting value" (json's message) or "JSON nested too deeply"; None when parsed
    column: int = 1  # of the error, 1-based
    position: int = 0  # of the error, in characters from the start of the line
    detail: str = ""  # json's full message, with line and column ("Expecting value: line 1 column 1 (char 0)")
    too_deep: bool = False  # nested beyond Python's recursion limit (``error`` says so; no column)
    start_byte: int = 0  # where the line starts in the UTF-8 text (lines joined by one ``\n`` each)
    too_long: bool = False  # longer than the caller's ``max_chars``: not parsed (``error`` says so; no column)
    duplicates: tuple[str, ...] = ()  # keys given twice in one object of the record (the last value is kept)

    @property
    def error_byte(self) -> int:
        """The byte offset of the error in the whole text."""
        return self.start_byte + len(self.text[: self.position].encode("utf-8"))


def json_lines(lines: Iterable[str], max_chars: int | None = None) -> Iterator[JsonLine]:
    """One ``JsonLine`` per non-blank line of ``lines`` (a text split on ``\\n``, or an open file); a line longer
    than ``max_chars`` is an error without being parsed."""
    byte = 0
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\n") else raw
        start = byte
        byte += (len(line) if line.isascii() else len(line.encode("utf-8"))) + 1
        if not line.strip():
            continue
        if max_chars is not None and len(line) > max_chars:
            message = f"a record of {len(line)} characters; the limit is {max_chars}"
            yield JsonLine(number, line[:80], error=message, detail=message, too_long=True, start_byte=start)
            continue
        try:
            parsed = parse(line)
        except json.JSONDecodeError as exc:
            if exc.msg == TOO_DEEP:
                yield JsonLine(number, line, error=TOO_DEEP, detail=TOO_DEEP, too_deep=True, start_byte=start)
            else:
                yield JsonLine(number, line, error=exc.msg, column=exc.colno, position=exc.pos, detail=str(exc),
                               start_byte=start)
            continue
        yield JsonLine(number, line, parsed.value, start_byte=start, duplicates=tuple(parsed.duplicates))
