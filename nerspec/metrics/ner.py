"""Strict entity-level NER scoring: exact span and exact type, the reference's and seqeval's strict mode."""

from __future__ import annotations

from collections.abc import Sequence

from nerspec.corpus.model import Document
from nerspec.metrics.prf import PRF, Scores, score_sets

SpanKey = tuple[int, int, str]


def span_set(doc: Document) -> set[SpanKey]:
    return {(s.start, s.end, s.label) for s in doc.spans}


def _label(item: SpanKey) -> str:
    return item[2]


def score_ner(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document], labels: Sequence[str] | None = None
) -> Scores:
    """Per type TP/FP/FN/P/R/F1 and micro totals over aligned gold and predicted documents.

    Zero division gives 0.0 (a type never predicted has precision 0), as in seqeval and spaCy.
    """
    return score_sets(
        [span_set(d) for d in gold_docs], [span_set(d) for d in pred_docs], _label, labels
    )


__all__ = ["PRF", "Scores", "score_ner", "span_set"]
