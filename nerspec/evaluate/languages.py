"""Scores per language: ``per_language`` of the Evaluation JSON.

``{"de": {"documents": N, "support": N, "micro": {"precision", "recall", "f1", "tp", "fp", "fn"},
          "macro": {"precision", "recall", "f1"}, "per_label": {"LABEL": {"f1", "support"}}}}``

Keys are the documents' own languages (normalised codes, ``nerspec.languages``); a document without one counts
under ``und`` (BCP 47 "undetermined"). Present only when some test document declares a language. Strict scores,
the same scorers as the overall numbers, so the micro counts of all languages add up to the overall ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from nerspec.corpus.model import Document

UNDETERMINED = "und"


def per_language(
    ner: bool,
    gold: Sequence[Document],
    pred: Sequence[Document],
    labels: Sequence[str] | None,
    scores: Sequence[dict[str, float]] | None = None,
    threshold: float = 0.5,
    multilabel: bool = False,
) -> dict[str, dict[str, Any]] | None:
    if not any(d.language for d in gold):
        return None
    groups: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(gold):
        groups[doc.language or UNDETERMINED].append(i)
    out: dict[str, dict[str, Any]] = {}
    for language in sorted(groups):
        idx = groups[language]
        g = [gold[i] for i in idx]
        p = [pred[i] for i in idx]
        s = _score(ner, g, p, labels, [scores[i] for i in idx] if scores is not None else None, threshold, multilabel)
        out[language] = {
            "documents": len(idx),
            "support": s.micro.support,
            "micro": s.micro.to_json(support=False),
            "macro": s.macro(),
            "per_label": {label: {"f1": prf.f1, "support": prf.support} for label, prf in s.per_label.items()},
        }
    return out


def _score(ner: bool, gold: list[Document], pred: list[Document], labels: Sequence[str] | None,
           scores: list[dict[str, float]] | None, threshold: float, multilabel: bool) -> Any:
    if ner:
        from nerspec.evaluate.ner import score_ner

        return score_ner(gold, pred, labels)
    from nerspec.evaluate.textcat import class_sets, from_scores, score_classes

    predicted = from_scores(scores, threshold) if multilabel and scores is not None else class_sets(pred)
    return score_classes(class_sets(gold), predicted, labels)
