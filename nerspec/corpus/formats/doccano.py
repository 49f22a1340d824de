"""doccano JSONL: what doccano's "JSONL" export writes and its import reads.

Sequence labeling: ``{"id", "text", "label": [[start, end, "TYPE"], ...]}`` (doccano < 1.6 and the
import format) or ``"entities": [{"start_offset", "end_offset", "label"}]`` (the export with relations).
Text classification: ``{"id", "text", "label": ["A", "B"]}`` (also ``"labels"``, or ``"cats"``).
Offsets are code points (doccano fixed its UTF-16 offsets in 2019). ``id`` may be doccano's integer.
``"draft": true`` marks pre-labels nobody reviewed; ``"dataset"`` a manual split side. Several users: records
with the same ``id`` and a ``user`` (or ``annotator``) field, e.g. doccano's per-user exports concatenated, are
several annotations of one document (``nerspec.corpus.annotators``); so are the users of doccano 1.x's export,
``"annotations": [{"label", "start_offset", "end_offset", "user"}]`` (a class: ``{"label", "user"}``), where each
span or class carries its user.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.formats import jsonl
from nerspec.corpus.formats.common import (
    MAX_SPANS_PER_DOCUMENT,
    ProjectInfo,
    at,
    class_names,
    record_id,
    shape_error,
    span,
    spans,
)
from nerspec.corpus.formats.jsonl import RecordError, dataset_of, language_of, status_of
from nerspec.corpus.model import Annotation, Document, Span

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    return jsonl.read_records(path, _document)


def _document(line: JsonValue, path: Path, where: str, lineno: int) -> Document:
    record = jsonl.object_of(line)
    text = jsonl.text_of(record, "data")
    doc = Document(
        id=record_id(record.get("id"), f"{path.name}:{lineno}"), text=text, dataset=dataset_of(record),
        location=where, line=lineno, status=status_of(record), language=language_of(record),
    )
    try:
        if isinstance(record.get("entities"), list):
            doc.spans = spans(record["entities"], lambda e: span(at(e, "start_offset"), at(e, "end_offset"), at(e, "label")))
        items = record.get("label", record.get("labels"))
        if isinstance(items, list) and items and all(isinstance(i, (list, tuple)) for i in items):
            doc.spans.extend(spans(items, lambda i: span(at(i, 0), at(i, 1), at(i, 2))))
        elif isinstance(items, (str, list)):
            doc.labels = class_names(items)
        if isinstance(record.get("cats"), dict):
            doc.labels = jsonl.cats(record["cats"])
        items = record.get("annotations")
        by_user = _by_user(items) if isinstance(items, list) else {}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RecordError(f"malformed `label`, `entities` or `annotations`: {shape_error(exc)}") from None
    if by_user:
        doc.annotations = [Annotation(user, tuple(spans_), tuple(labels)) for user, (spans_, labels) in by_user.items()]
        doc.spans, doc.labels = list(doc.annotations[-1].spans), list(doc.annotations[-1].labels)
        return doc
    user = _user(record)
    if user is not None:
        doc.annotations = [Annotation(user, tuple(doc.spans), tuple(doc.labels))]
    return doc


def _user(item: JsonObject) -> str | None:
    user = item.get("user", item.get("annotator"))
    return str(user) if isinstance(user, (str, int)) and not isinstance(user, bool) else None


def _by_user(items: list[JsonValue]) -> dict[str, tuple[list[Span], list[str]]]:
    """doccano 1.x's ``annotations``: one item per span (``start_offset``, ``end_offset``) or class, each carrying
    its ``user``; per user (in the order users first appear), their spans and classes. Items without a user
    belong to ``unknown``. A label may be doccano's integer label id: it reads as its digits (the manifest then
    names the types by those ids)."""
    if len(items) > MAX_SPANS_PER_DOCUMENT:
        raise ValueError(f"{len(items)} annotations in one document; the limit is {MAX_SPANS_PER_DOCUMENT}")
    out: dict[str, tuple[list[Span], list[str]]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"an annotation must be an object, not {type(item).__name__}")
        spans_, labels = out.setdefault(_user(item) or "unknown", ([], []))
        label = class_names([at(item, "label")])[0]
        if "start_offset" in item:
            spans_.append(span(at(item, "start_offset"), at(item, "end_offset"), label))
        else:
            labels.append(label)
    return out


def dump(doc: Document, spans: bool) -> JsonObject:
    record: JsonObject = {"id": doc.id, "text": doc.text}
    record["label"] = [[s.start, s.end, s.label] for s in doc.spans] if spans else list(doc.labels)
    return record | jsonl.document_fields(doc)


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "doccano.jsonl") -> Path:
    from nerspec.atomic import write_text

    lines = [jsonl.line(dump(doc, info.annotates_spans)) for doc in documents]
    target = out_dir / name
    write_text(target, "\n".join(lines) + ("\n" if lines else ""))
    return target
