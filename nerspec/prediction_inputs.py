"""The texts ``nerspec predict`` reads: one per line of plain text, or JSONL records ``{"id", "text", "language"}``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from nerspec import values
from nerspec.errors import NerspecError
from nerspec.json_lines import json_lines

_SURROGATE = re.compile("[\ud800-\udfff]")


def read_inputs(lines: Iterable[str], jsonl: bool) -> Iterator[tuple[str, str]]:
    """(id, text) per non-empty line: plain text (id: the line number), or jsonl records ``{"id", "text"}``."""
    for doc_id, text, _ in read_records(lines, jsonl):
        yield doc_id, text


def read_records(lines: Iterable[str], jsonl: bool, language: str | None = None) -> Iterator[tuple[str, str, str | None]]:
    """(id, text, language) per non-empty line; a jsonl record's own ``language`` wins over ``language``."""
    lines = _without_bom(lines)
    if not jsonl:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\n")
            if line.strip():
                yield str(number), line, language
        return
    for parsed in json_lines(lines):
        number, record = parsed.number, parsed.record
        if parsed.error is not None:
            reason = parsed.detail if parsed.too_deep else f"invalid JSON: {parsed.detail}"
            raise NerspecError(f"line {number}: {reason}")
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(record, dict) or not isinstance(text, str):
            raise NerspecError(f"line {number}: expected an object with a `text` string")
        if _SURROGATE.search(text):
            raise NerspecError(f"line {number}: `text` has a lone surrogate (not valid Unicode text)")
        own = record.get("language")
        if own is not None and not isinstance(own, str):
            raise NerspecError(f"line {number}: `language` must be a string such as `de`")
        try:  # an id is a non-empty string or an integer, and a language valid text (``nerspec.values``)
            doc_id = values.document_id(record["id"]) if record.get("id") is not None else str(number)
            values.text(doc_id, "id"), values.text(own or "", "language")
        except ValueError as exc:
            raise NerspecError(f"line {number}: {exc}") from None
        yield doc_id, text, own or language


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """The lines, less the byte order mark an editor may put first (not JSON, and not part of the first text)."""
    first = True
    for line in lines:
        yield line.removeprefix("\ufeff") if first else line
        first = False
