"""``validate --fix-whitespace``: rewrite spans with whitespace at their edges, in the source files.

Only the offsets change; everything else in the files (unknown fields, key order of untouched
records) is kept. Supported for ``azure`` and ``jsonl`` path sources, where spans are offsets in
text; ``conll`` and ``spacy`` spans are token-aligned and cannot carry edge whitespace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec.corpus.formats import FORMATS, azure
from nerspec.corpus.formats.common import load_json, read_text
from nerspec.corpus.offsets import GraphemeIndex, Utf16Index
from nerspec.json_lines import json_lines

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject



def fix_whitespace(project: LoadedProject) -> dict[str, int]:
    """Trim spans in every fixable source; returns ``{display path: spans fixed}`` for changed files."""
    from nerspec.corpus.formats.common import shown

    changed: dict[str, int] = {}
    for source in project.manifest.spec.data:
        if source.path is None or not FORMATS[source.format].fixable:
            continue
        path = project.dir / source.path
        count = _fix_azure(path) if source.format == "azure" else _fix_jsonl(path)
        if count:
            changed[shown(path)] = count
    return changed


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    if not (0 <= start < end <= len(text)):
        return start, end
    surface = text[start:end]
    stripped = surface.strip()
    if not stripped or stripped == surface:
        return start, end
    new_start = start + len(surface) - len(surface.lstrip())
    return new_start, new_start + len(stripped)


def _fix_azure(path: Path) -> int:
    from nerspec.atomic import write_text

    raw = load_json(path)
    index_type = azure._norm(str(azure._get(raw, "stringIndexType") or "Utf16CodeUnit"))
    fixed = 0
    for doc in azure._get(azure._get(raw, "assets", {}), "documents", []) or []:
        location = azure._get(doc, "location")
        regions = azure._get(doc, "entities") or []
        if not isinstance(location, str) or not regions:
            continue
        text = read_text(path.parent / location)
        index: Any = Utf16Index(text) if index_type == "utf16codeunit" else GraphemeIndex(text) if index_type == "textelementv8" else None
        to_cp = index.to_codepoint if index else (lambda n: n)
        from_cp = (index.to_utf16 if isinstance(index, Utf16Index) else index.to_grapheme) if index else (lambda n: n)
        for region in regions:
            for label in azure._get(region, "labels") or []:
                keys = {azure._norm(k): k for k in label}
                try:
                    offset, length = int(label[keys["offset"]]), int(label[keys["length"]])
                    start, end = to_cp(offset), to_cp(offset + length)
                    new_start, new_end = _trim(text, start, end)
                    if (new_start, new_end) == (start, end):
                        continue
                    label[keys["offset"]] = from_cp(new_start)
                    label[keys["length"]] = from_cp(new_end) - from_cp(new_start)
                    fixed += 1
                except (KeyError, ValueError, TypeError):
                    continue  # malformed labels are reported by validate; nothing to trim
    if fixed:
        write_text(path, json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    return fixed


def _fix_jsonl(path: Path) -> int:
    from nerspec.atomic import write_text

    lines = read_text(path).split("\n")
    fixed = 0
    for line in json_lines(lines):
        n, record = line.number - 1, line.record
        try:
            text = record["text"]
        except (KeyError, TypeError):
            continue  # not a record (or not JSON): validate says so; nothing to fix here
        changed = False
        for key in ("spans", "label"):
            items = record.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                try:
                    start, end = (item["start"], item["end"]) if isinstance(item, dict) else (item[0], item[1])
                    new = _trim(text, int(start), int(end))
                except (KeyError, IndexError, TypeError, ValueError):
                    continue
                if new == (start, end):
                    continue
                if isinstance(item, dict):
                    item["start"], item["end"] = new
                else:
                    items[i] = [new[0], new[1], *item[2:]]
                changed = True
                fixed += 1
        if changed:
            lines[n] = json.dumps(record, ensure_ascii=False)
    if fixed:
        write_text(path, "\n".join(lines))
    return fixed
