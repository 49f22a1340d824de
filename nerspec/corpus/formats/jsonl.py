"""JSON Lines: one document per line.

NER: ``{"id", "text", "spans": [{"start", "end", "label"}], "dataset"?, "language"?}`` (code-point offsets, end
exclusive), or the common ``"label": [[start, end, "TYPE"], ...]`` shape. Classification:
``{"id", "text", "labels": [...]}``, spaCy's ``"cats": {"A": 1.0, "B": 0.0}`` (score >= 0.5 is on), or
``"label": ["A", ...]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import values
from nerspec.corpus.formats.common import (
    MAX_PROBLEMS,
    ProjectInfo,
    at,
    class_names,
    decode,
    read_bytes,
    record_id,
    shape_error,
    shown,
    span,
    spans,
)
from nerspec.corpus.model import Dataset, Document, Span
from nerspec.errors import DataError, Problem
from nerspec.json_lines import json_lines
from nerspec.languages import normalize
from nerspec.strict_json import duplicate_note

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue

# A record holds at most a 128,000-character text (escaped, up to 6 bytes a character) and its spans: a longer line
# is damage, refused before it is parsed (a 45 MB line of 3,000,000 spans took minutes and gigabytes).
MAX_RECORD_CHARS = 8 * 1024 * 1024


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    return read_records(path, _document)


RecordReader = Callable[["JsonValue", Path, str, int], Document]


def read_records(path: Path, convert: RecordReader) -> list[Document]:
    """One document per non-empty line via ``convert(record, path, shown path, line)``; errors located.

    ``convert`` raises ``RecordError`` for a record it cannot use; every problem is reported at once.
    """
    data = read_bytes(path)
    text = decode(path, data)
    where = shown(path)
    documents: list[Document] = []
    problems: list[Problem] = []
    # split("\n"), not splitlines(): raw U+2028 inside JSON strings is legal and must not end a record.
    for line in json_lines(text.split("\n"), MAX_RECORD_CHARS):
        if line.too_deep or line.too_long:
            problems.append(Problem(where, line.number, 1, "", line.detail))
        elif line.error is not None:
            message = f"invalid JSON at byte offset {line.error_byte}: {line.error}"
            problems.append(Problem(where, line.number, line.column, "", message))
        else:
            try:
                document = convert(line.record, path, where, line.number)
            except (RecordError, ValueError) as exc:
                problems.append(Problem(where, line.number, 1, "", str(exc)))
                continue
            if line.duplicates:
                document.warnings.append(duplicate_note(list(line.duplicates)))
            documents.append(document)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DataError(problems)
    return documents


class RecordError(ValueError):
    pass


def object_of(record: JsonValue) -> JsonObject:
    """The line's record: a located error when it is not a JSON object (every JSON-lines format starts so)."""
    if not isinstance(record, dict):
        raise RecordError("each line must be a JSON object")
    return record


def text_of(record: JsonObject, *fallbacks: str) -> str:
    """The record's text: ``text``, else the first of ``fallbacks`` present (doccano's ``data``); a located error
    when the text is not a string."""
    key = next((k for k in ("text", *fallbacks) if k in record), "text")
    text = record.get(key)
    if not isinstance(text, str):
        raise RecordError("missing `text` (a string)")
    return text


def dataset_of(record: JsonObject) -> Dataset | None:
    dataset = record.get("dataset")
    if dataset is None:
        return None
    side = SIDES.get(dataset.lower()) if isinstance(dataset, str) else None
    if side is None:
        raise RecordError(f"`dataset` must be `train` or `test`, not {dataset!r}")
    return side


SIDES: dict[str, Dataset] = {"train": "train", "test": "test"}


def language_of(record: JsonObject) -> str | None:
    """The record's own ``language`` (normalised), or None for the project's."""
    language = record.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise RecordError(f"`language` must be a language code such as `de` or `en-us`, not {language!r}")
    return normalize(values.text(language, "language")) if language else None


def status_of(record: JsonObject) -> str:
    """``draft`` for pre-labels marked ``"draft": true`` (``nerspec label suggest``) that nobody reviewed."""
    draft = record.get("draft", False)
    if not isinstance(draft, bool):
        raise RecordError("`draft` must be true or false")
    return "draft" if draft else ""


def _document(line: JsonValue, path: Path, where: str, lineno: int) -> Document:
    record = object_of(line)
    text = text_of(record)
    doc = Document(
        id=record_id(record.get("id"), f"{path.name}:{lineno}"), text=text, dataset=dataset_of(record),
        location=where, line=lineno, status=status_of(record), language=language_of(record),
    )
    try:
        if "spans" in record:
            doc.spans = spans(record["spans"] or [], _span)
        if "labels" in record:
            doc.labels = class_names(record["labels"] or [])
        if "cats" in record:
            doc.labels = cats(record["cats"] or {})
        if "label" in record:
            items = record["label"] or []
            if isinstance(items, list) and items and all(isinstance(i, (list, tuple)) for i in items):
                doc.spans = spans(items, lambda i: span(at(i, 0), at(i, 1), at(i, 2)))
            else:
                doc.labels = class_names(items)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RecordError(f"malformed spans or labels: {shape_error(exc)}") from None
    return doc


def cats(cats: JsonValue) -> list[str]:
    """spaCy's ``{"A": 1.0, "B": 0.0}``: the classes scored 0.5 or more."""
    if not isinstance(cats, dict):
        raise ValueError(f"`cats` must be an object, not {type(cats).__name__}")
    scores: dict[str, float] = {}
    for name, score in cats.items():
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise ValueError(f"a `cats` score must be a number, not {score!r}")
        scores[name] = score
    return class_names([name for name, score in scores.items() if score >= 0.5])


def _span(value: JsonValue) -> Span:
    if isinstance(value, dict):
        return span(value["start"], value["end"], value["label"])
    return span(at(value, 0), at(value, 1), at(value, 2))


def dump(doc: Document, spans: bool) -> JsonObject:
    record: JsonObject = {"id": doc.id, "text": doc.text}
    if spans:
        record["spans"] = [{"start": s.start, "end": s.end, "label": s.label} for s in doc.spans]
    else:
        record["labels"] = list(doc.labels)
    return record | document_fields(doc)


def document_fields(doc: Document) -> JsonObject:
    """``dataset``, ``language`` and ``draft`` as written back (the inverse of ``dataset_of``, ``language_of``
    and ``status_of``); only the fields that are set."""
    fields: JsonObject = {}
    if doc.dataset:
        fields["dataset"] = doc.dataset
    if doc.language:
        fields["language"] = doc.language
    if doc.status == "draft":
        fields["draft"] = True
    return fields


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "data.jsonl") -> Path:
    """One record per document; ids, like texts, are JSON strings, so any id comes back unchanged."""
    from nerspec.atomic import write_text

    target = out_dir / name
    lines = [_line(dump(doc, info.annotates_spans)) for doc in documents]
    write_text(target, "\n".join(lines) + ("\n" if lines else ""))
    return target


# Characters that str.splitlines() (and many line-oriented tools) treat as line ends but JSON leaves
# raw with ensure_ascii=False. Outside strings JSON never has them, so escaping them is always valid.
_LINE_ENDS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def line(record: Mapping[str, object]) -> str:
    """One JSON Lines record (no raw line-end characters)."""
    return _line(record)


def _line(record: Mapping[str, object]) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_LINE_ENDS)
