"""``validate --fix-whitespace``: rewrite spans with whitespace at their edges, in the source files.

Only the offsets change; everything else in the files (unknown fields, key order of untouched
records) is kept. Supported for ``azure`` and ``jsonl`` path sources, where spans are offsets in
text; ``conll`` and ``spacy`` spans are token-aligned and cannot carry edge whitespace.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.formats import FORMATS, azure
from nerspec.corpus.formats.common import (
    at,
    lexical_escape,
    link_escape,
    load_json,
    read_text,
    source_encoding,
    source_encoding_of,
)
from nerspec.corpus.offsets import GraphemeIndex, Utf16Index
from nerspec.json_lines import json_lines

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue
    from nerspec.manifest.load import LoadedProject



def fix_whitespace(project: LoadedProject) -> dict[str, int]:
    """Trim spans in every fixable source; returns ``{display path: spans fixed}`` for changed files."""
    from nerspec.corpus.formats.common import shown

    changed: dict[str, int] = {}
    for source in project.manifest.spec.data:
        if source.path is None or not FORMATS[source.format].fixable:
            continue
        path = project.dir / source.path
        with source_encoding(source.encoding):  # read and written back in the source's own encoding
            count = FIXERS[source.format](path, project.dir)
        if count:
            changed[shown(path)] = count
    return changed


def _write_back(path: Path, text: str) -> None:
    from nerspec.atomic import write_bytes

    write_bytes(path, text.encode(source_encoding_of() or "utf-8"))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    if not (0 <= start < end <= len(text)):
        return start, end
    surface = text[start:end]
    stripped = surface.strip()
    if not stripped or stripped == surface:
        return start, end
    new_start = start + len(surface) - len(surface.lstrip())
    return new_start, new_start + len(stripped)


def _fix_azure(path: Path, root: Path) -> int:
    raw = load_json(path)
    index_type = azure._norm(str(azure._get(raw, "stringIndexType") or "Utf16CodeUnit"))
    fixed = 0
    inside: dict[str, bool] = {}
    for doc in _listed(azure._get(azure._get(raw, "assets", {}), "documents")):
        location = azure._get(doc, "location")
        regions = azure._get(doc, "entities") or []
        if not isinstance(location, str) or not location or not regions:
            continue
        file_name = os.path.join(path.parent, location)  # outside the project, or no file name: validate says so
        if lexical_escape(location) or link_escape(file_name, root, inside):  # (was read, or exit 70 on a NUL)
            continue
        text = read_text(Path(file_name))
        index = Utf16Index(text) if index_type == "utf16codeunit" else GraphemeIndex(text) if index_type == "textelementv8" else None
        to_cp: Callable[[int], int] = index.to_codepoint if index else _same
        from_cp: Callable[[int], int] = (index.to_utf16 if isinstance(index, Utf16Index) else index.to_grapheme) if index else _same
        for region in _listed(regions):
            for label in _listed(azure._get(region, "labels")):
                if isinstance(label, dict):
                    fixed += _fix_label(label, text, to_cp, from_cp)
    if fixed:
        _write_back(path, json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    return fixed


def _fix_label(label: JsonObject, text: str, to_cp: Callable[[int], int], from_cp: Callable[[int], int]) -> int:
    """1 when the label's span was trimmed (rewritten in place), 0 when it needs none or is malformed (validate
    reports those; nothing to trim)."""
    keys = {azure._norm(k): k for k in label}
    try:
        offset, length = _integer(label[keys["offset"]]), _integer(label[keys["length"]])
        start, end = to_cp(offset), to_cp(offset + length)
        new_start, new_end = _trim(text, start, end)
        if (new_start, new_end) == (start, end):
            return 0
        label[keys["offset"]] = from_cp(new_start)
        label[keys["length"]] = from_cp(new_end) - from_cp(new_start)
    except (KeyError, ValueError, TypeError):
        return 0
    return 1


def _listed(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _same(offset: int) -> int:
    return offset


def _integer(value: JsonValue) -> int:
    """``value`` when it is an integer offset; ``TypeError`` else. ``int()`` of ``0.5``, ``"5"`` or ``true`` rewrote
    a span the readers refuse as a valid one with other offsets (validate names it instead: ``nerspec.values``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"not an integer offset: {value!r}")


def _fix_jsonl(path: Path, root: Path) -> int:
    lines = read_text(path).split("\n")
    fixed = 0
    for line in json_lines(lines):
        n, record = line.number - 1, line.record
        if not isinstance(record, dict):
            continue  # not a record (or not JSON): validate says so; nothing to fix here
        text = record.get("text")
        if not isinstance(text, str):
            continue  # not a record (or not JSON): validate says so; nothing to fix here
        changed = False
        for key in ("spans", "label"):
            items = record.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                try:
                    start, end = (item["start"], item["end"]) if isinstance(item, dict) else (at(item, 0), at(item, 1))
                    new = _trim(text, _integer(start), _integer(end))
                except (KeyError, IndexError, TypeError, ValueError):
                    continue
                if new == (start, end):
                    continue
                if isinstance(item, dict):
                    item["start"], item["end"] = new
                elif isinstance(item, (list, str)):
                    items[i] = [new[0], new[1], *item[2:]]
                changed = True
                fixed += 1
        if changed:
            lines[n] = json.dumps(record, ensure_ascii=False)
    if fixed:
        _write_back(path, "\n".join(lines))
    return fixed


# How each ``fixable`` format's spans are rewritten (``Format.fixable`` names them; a test keeps the two equal).
# Each is handed the source's path and the project directory (no file outside it is read).
FIXERS: dict[str, Callable[[Path, Path], int]] = {"azure": _fix_azure, "jsonl": _fix_jsonl}
