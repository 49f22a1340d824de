"""JSON Lines: one document per line.

NER: ``{"id", "text", "spans": [{"start", "end", "label"}], "dataset"?, "language"?}`` (code-point offsets, end
exclusive), or the common ``"label": [[start, end, "TYPE"], ...]`` shape. Classification:
``{"id", "text", "labels": [...]}``, spaCy's ``"cats": {"A": 1.0, "B": 0.0}`` (score >= 0.5 is on), or
``"label": ["A", ...]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nerspec.corpus.formats.common import ProjectInfo, decode, read_bytes, shown
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError, Problem
from nerspec.json_lines import json_lines
from nerspec.languages import normalize

MAX_PROBLEMS = 50


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    return read_records(path, _document)


RecordReader = Callable[[Any, Path, str, int], Document]


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
    for line in json_lines(text.split("\n")):
        if line.too_deep:
            problems.append(Problem(where, line.number, 1, "", line.detail))
        elif line.error is not None:
            message = f"invalid JSON at byte offset {line.error_byte}: {line.error}"
            problems.append(Problem(where, line.number, line.column, "", message))
        else:
            try:
                documents.append(convert(line.record, path, where, line.number))
            except RecordError as exc:
                problems.append(Problem(where, line.number, 1, "", str(exc)))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DataError(problems)
    return documents


class RecordError(ValueError):
    pass


def text_of(record: Any, *fallbacks: str) -> str:
    """The record's text: ``text``, else the first of ``fallbacks`` present (doccano's ``data``); a located error
    when the line is not a JSON object or the text is not a string (every JSON-lines format starts so)."""
    if not isinstance(record, dict):
        raise RecordError("each line must be a JSON object")
    key = next((k for k in ("text", *fallbacks) if k in record), "text")
    text = record.get(key)
    if not isinstance(text, str):
        raise RecordError("missing `text` (a string)")
    return text


def dataset_of(record: dict[str, Any]) -> Any:
    dataset = record.get("dataset")
    if isinstance(dataset, str):
        dataset = dataset.lower()
    if dataset not in (None, "train", "test"):
        raise RecordError(f"`dataset` must be `train` or `test`, not {record.get('dataset')!r}")
    return dataset


def language_of(record: dict[str, Any]) -> str | None:
    """The record's own ``language`` (normalised), or None for the project's."""
    language = record.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise RecordError(f"`language` must be a language code such as `de` or `en-us`, not {language!r}")
    return normalize(language) if language else None


def status_of(record: dict[str, Any]) -> str:
    """``draft`` for pre-labels marked ``"draft": true`` (``nerspec label suggest``) that nobody reviewed."""
    draft = record.get("draft", False)
    if not isinstance(draft, bool):
        raise RecordError("`draft` must be true or false")
    return "draft" if draft else ""


def _document(record: Any, path: Path, where: str, lineno: int) -> Document:
    text = text_of(record)
    doc_id = record.get("id", f"{path.name}:{lineno}")
    doc = Document(
        id=str(doc_id), text=text, dataset=dataset_of(record), location=where, line=lineno, status=status_of(record),
        language=language_of(record),
    )
    try:
        if "spans" in record:
            doc.spans = [_span(s) for s in record["spans"] or []]
        if "labels" in record:
            labels = record["labels"]
            if isinstance(labels, str):
                labels = [labels]
            doc.labels = [str(c) for c in labels or []]
        if "cats" in record:
            doc.labels = [str(c) for c, score in (record["cats"] or {}).items() if float(score) >= 0.5]
        if "label" in record:
            items = record["label"] or []
            if isinstance(items, str):
                doc.labels = [items]
            elif all(isinstance(i, (list, tuple)) for i in items):
                doc.spans = [Span(int(i[0]), int(i[1]), str(i[2])) for i in items]
            else:
                doc.labels = [str(i) for i in items]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RecordError(f"malformed spans or labels: {exc}") from None
    return doc


def _span(value: Any) -> Span:
    if isinstance(value, dict):
        return Span(int(value["start"]), int(value["end"]), str(value["label"]))
    return Span(int(value[0]), int(value[1]), str(value[2]))


def dump(doc: Document, spans: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"id": doc.id, "text": doc.text}
    if spans:
        record["spans"] = [{"start": s.start, "end": s.end, "label": s.label} for s in doc.spans]
    else:
        record["labels"] = list(doc.labels)
    return record | document_fields(doc)


def document_fields(doc: Document) -> dict[str, Any]:
    """``dataset``, ``language`` and ``draft`` as written back (the inverse of ``dataset_of``, ``language_of``
    and ``status_of``); only the fields that are set."""
    fields: dict[str, Any] = {}
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


def line(record: dict[str, Any]) -> str:
    """One JSON Lines record (no raw line-end characters)."""
    return _line(record)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_LINE_ENDS)
