"""Prodigy JSONL: the annotation records ``prodigy db-out`` writes and its loaders read.

NER: ``{"text", "spans": [{"start", "end", "label", ...}], "answer": "accept", "meta": {...}}`` (character
offsets; token fields are ignored). Classification: ``"accept": ["A", "B"]`` (the choice interface), or a
binary ``"label": "A"`` with ``"answer"``. Records answered ``reject`` or ``ignore`` are not labels: they are
set aside, like unannotated records. Document id: ``id``, else ``meta.id``, else ``_input_hash``. Several sessions
(``_annotator_id``, else ``_session_id``) answering the same input are several annotations of one document
(``nerspec.corpus.annotators``; the source's ``annotator`` rule picks the one that trains).
``"draft": true`` marks pre-labels nobody reviewed; ``meta.dataset`` a manual split side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.formats import jsonl
from nerspec.corpus.formats.common import ProjectInfo, at, class_names, record_id, shape_error, span, spans
from nerspec.corpus.formats.jsonl import RecordError, dataset_of, language_of, status_of
from nerspec.corpus.model import Annotation, Document

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    return jsonl.read_records(path, _document)


def _document(line: JsonValue, path: Path, where: str, lineno: int) -> Document:
    record = jsonl.object_of(line)
    text = jsonl.text_of(record)
    given = record.get("meta")
    meta: JsonObject = given if isinstance(given, dict) else {}
    doc_id = record.get("id", meta.get("id", record.get("_input_hash")))
    doc = Document(
        id=record_id(doc_id, f"{path.name}:{lineno}"), text=text, dataset=dataset_of(meta), location=where, line=lineno, status=status_of(record),
        language=language_of(meta),
    )
    answer = record.get("answer", "accept")
    try:
        doc.spans = spans(record.get("spans") or [], lambda s: span(at(s, "start"), at(s, "end"), at(s, "label")))
        if isinstance(record.get("accept"), list):
            doc.labels = class_names(record["accept"])
        elif isinstance(record.get("label"), str) and answer == "accept":
            doc.labels = class_names(record["label"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"malformed `spans` or `accept`: {shape_error(exc)}") from None
    if answer != "accept" and not doc.status:
        doc.status = "unlabeled"
    annotator = record.get("_annotator_id", record.get("_session_id"))
    if isinstance(annotator, (str, int)) and not isinstance(annotator, bool):
        doc.annotations = [Annotation(str(annotator), tuple(doc.spans), tuple(doc.labels))]
    return doc


def dump(doc: Document, info: ProjectInfo) -> JsonObject:
    meta: JsonObject = {"id": doc.id}
    if doc.dataset:
        meta["dataset"] = doc.dataset
    if doc.language:
        meta["language"] = doc.language
    record: JsonObject = {"text": doc.text, "meta": meta}
    if info.annotates_spans:
        record["spans"] = [{"start": s.start, "end": s.end, "label": s.label} for s in doc.spans]
    else:
        record["options"] = [{"id": c, "text": c} for c in info.labels]
        record["accept"] = list(doc.labels)
    record["answer"] = "ignore" if doc.status == "unlabeled" else "accept"
    if doc.status == "draft":
        record["draft"] = True
    return record


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "prodigy.jsonl") -> Path:
    from nerspec.atomic import write_text

    lines = [jsonl.line(dump(doc, info)) for doc in documents]
    target = out_dir / name
    write_text(target, "\n".join(lines) + ("\n" if lines else ""))
    return target
