"""Model predictions as drafts a person reviews: Label Studio ``predictions`` or nerspec jsonl ``draft: true``.

Confidences are the prediction path's own (``nerspec.predict``: calibrated where the model is), never
recomputed here. A draft never trains: the importers mark it (``Document.status == "draft"``) and
validation fails on unreviewed drafts unless the source sets ``allow_drafts: true``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document, Span
from nerspec.predictions import Prediction

if TYPE_CHECKING:
    from nerspec.corpus.formats.labelstudio import Confidences, Task
    from nerspec.json_types import JsonObject


def draft_of(doc: Document, prediction: Prediction, spans: bool) -> tuple[Document, Confidences]:
    """The document with the predicted spans (or classes) as a draft, and each span's (class's) confidence."""
    scores: Confidences = {}
    draft = Document(id=doc.id, text=doc.text, dataset=doc.dataset, status="draft")
    for item in prediction:
        confidence = item.confidence
        if spans:
            span = Span(item.start, item.end, item.category)
            draft.spans.append(span)
            scores[span] = confidence
        else:
            draft.labels.append(item.category)
            scores[item.category] = confidence
    return draft, scores


def document_score(scores: Confidences, spans: bool) -> float:
    """How sure the model is of the whole draft: its least confident span or class (1.0 with no entity)."""
    if not scores:
        return 1.0 if spans else 0.0
    return round(min(scores.values()), 4)


def labelstudio_tasks(
    drafts: Sequence[tuple[Document, Confidences]], spans: bool, model_version: str
) -> list[Task]:
    from nerspec.corpus.formats.labelstudio import regions, task

    out = []
    for draft, scores in drafts:
        entry = task(draft)
        entry["predictions"] = [
            {"model_version": model_version, "score": document_score(scores, spans), "result": regions(draft, spans, scores)}
        ]
        out.append(entry)
    return out


def jsonl_records(drafts: Sequence[tuple[Document, Confidences]], spans: bool, model_version: str) -> list[JsonObject]:
    out = []
    for draft, scores in drafts:
        record: JsonObject = {"id": draft.id, "text": draft.text}
        if spans:
            record["spans"] = [
                {"start": s.start, "end": s.end, "label": s.label, "score": round(scores[s], 4)} for s in draft.spans
            ]
        else:
            record["labels"] = list(draft.labels)
            record["scores"] = {str(c): round(v, 4) for c, v in scores.items()}
        record.update(draft=True, model_version=model_version)
        out.append(record)
    return out


def write_drafts(
    drafts: Sequence[tuple[Document, Confidences]], target: Path, fmt: str, spans: bool, model_version: str
) -> Path:
    """Write drafts atomically in ``fmt`` (``labelstudio`` task list or nerspec ``jsonl``)."""
    return DRAFT_WRITERS[fmt](drafts, target, spans, model_version)


def _labelstudio_drafts(drafts: Sequence[tuple[Document, Confidences]], target: Path, spans: bool, model_version: str) -> Path:
    from nerspec.corpus.formats.labelstudio import write_tasks

    return write_tasks(labelstudio_tasks(drafts, spans, model_version), target)


def _jsonl_drafts(drafts: Sequence[tuple[Document, Confidences]], target: Path, spans: bool, model_version: str) -> Path:
    from nerspec.atomic import write_text
    from nerspec.corpus.formats import jsonl

    lines = [jsonl.line(r) for r in jsonl_records(drafts, spans, model_version)]
    write_text(target, "\n".join(lines) + ("\n" if lines else ""))
    return target


# The writer of each ``drafts`` format (``Format.drafts`` names them; a test keeps the two equal).
DRAFT_WRITERS: dict[str, Callable[[Sequence[tuple[Document, Confidences]], Path, bool, str], Path]] = {
    "labelstudio": _labelstudio_drafts,
    "jsonl": _jsonl_drafts,
}


def format_for(target: Path, fmt: str | None) -> str:
    """``--format`` when given, else from the file name: ``.json`` is Label Studio, anything else jsonl."""
    if fmt:
        return fmt
    return "labelstudio" if target.suffix.lower() == ".json" else "jsonl"
