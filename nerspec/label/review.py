"""Likely label errors as review tasks: each document with its labels as the check suggests them, as a draft.

The export is ``label next``'s (``nerspec.label.drafts``: Label Studio tasks whose ``predictions`` are the
pre-annotation, or nerspec jsonl with ``draft: true``): a reviewer opens the document with the suggested fix
already applied (a type changed, a missing tag added, a rejected tag removed, a boundary moved) and accepts or
corrects it. Each changed span (class) carries the finding's score; unchanged ones score 1.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from nerspec.corpus.label_errors import LabelError
from nerspec.corpus.model import Document, Span

if TYPE_CHECKING:
    from nerspec.corpus.formats.labelstudio import Confidences
    from nerspec.train.label_errors import LabelErrorReport


def review_drafts(report: LabelErrorReport, top: int, spans: bool) -> list[tuple[Document, Confidences]]:
    """Drafts of the documents of the ``top`` findings, most likely first, each with every one of its fixes."""
    chosen = report.errors[:top]
    by_doc: dict[str, list[LabelError]] = defaultdict(list)
    for error in chosen:
        by_doc[error.id].append(error)
    order = list(dict.fromkeys(e.id for e in chosen))
    return [_fixed(report.documents[doc_id], by_doc[doc_id], spans) for doc_id in order]


def _fixed(doc: Document, errors: list[LabelError], spans: bool) -> tuple[Document, Confidences]:
    draft = Document(id=doc.id, text=doc.text, dataset=doc.dataset, language=doc.language, status="draft")
    if not spans:
        labels = list(doc.labels)
        scores: dict[str, float] = {}
        for error in errors:
            if error.kind == "wrong_type" and error.suggested:
                labels = [error.suggested]
            elif error.kind == "missing" and error.suggested and error.suggested not in labels:
                labels.append(error.suggested)
            elif error.kind == "rejected" and error.label in labels:
                labels.remove(error.label)
            if error.suggested:
                scores[error.suggested] = error.score
        draft.labels = labels
        return draft, {c: scores.get(c, 1.0) for c in labels}
    current = {(s.start, s.end, s.label): 1.0 for s in doc.spans}
    for error in errors:
        given = (error.start, error.end, error.label or "")
        if error.kind in ("wrong_type", "rejected", "boundary"):
            current.pop(given, None)
        if error.kind in ("wrong_type", "missing") and error.suggested:
            current[(error.start, error.end, error.suggested)] = error.score
        elif error.kind == "boundary" and error.proposed is not None:
            current[(error.proposed.start, error.proposed.end, error.proposed.label)] = error.score
    draft.spans = sorted(Span(*key) for key in current)
    return draft, {Span(*key): score for key, score in current.items()}
