"""Text classification scoring, single-label and multi-label.

Each document's gold classes and predicted classes are sets; a class in both is a TP, a predicted class
not in gold an FP, a gold class not predicted an FN. Single-label (one class on each side) makes every
error one FP plus one FN, so micro P = R = F1 = accuracy; multi-label counts a missed class as an FN
and an extra one as an FP (the reference's worked example: TP 4, FP 1, FN 2 -> P 0.8, R 0.67, F1 0.73).
Per class and micro/macro agree with scikit-learn's ``precision_recall_fscore_support`` (zero_division=0).
"""

from __future__ import annotations

from collections.abc import Sequence

from nerspec.corpus.model import Document
from nerspec.metrics.prf import PRF, Scores, score_sets

SWEEP = tuple(round(0.1 * i, 1) for i in range(1, 10))


def _label(item: str) -> str:
    return item


def class_sets(docs: Sequence[Document]) -> list[set[str]]:
    return [set(d.labels) for d in docs]


def from_scores(scores: Sequence[dict[str, float]], threshold: float) -> list[set[str]]:
    """Multi-label decision: every class whose score reaches the threshold."""
    return [{label for label, score in s.items() if score >= threshold} for s in scores]


def score_classes(gold: Sequence[set[str]], pred: Sequence[set[str]], labels: Sequence[str] | None = None) -> Scores:
    return score_sets(gold, pred, _label, labels)


def score_textcat(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document], labels: Sequence[str] | None = None
) -> Scores:
    return score_classes(class_sets(gold_docs), class_sets(pred_docs), labels)


def threshold_sweep(
    gold: Sequence[set[str]], scores: Sequence[dict[str, float]], thresholds: Sequence[float] = SWEEP
) -> list[dict[str, float]]:
    """Micro P/R/F1 at each threshold, so users can choose one (multi-label only)."""
    out: list[dict[str, float]] = []
    for threshold in thresholds:
        micro = PRF()
        for g, p in zip(gold, from_scores(scores, threshold), strict=True):
            micro.tp += len(g & p)
            micro.fp += len(p - g)
            micro.fn += len(g - p)
        out.append({"threshold": threshold, "precision": micro.precision, "recall": micro.recall, "f1": micro.f1})
    return out


__all__ = ["SWEEP", "Scores", "class_sets", "from_scores", "score_classes", "score_textcat", "threshold_sweep"]
