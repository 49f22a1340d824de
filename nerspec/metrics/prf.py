"""Precision/recall/F1 counting shared by every project kind.

Both kinds reduce to the same problem: per document, a set of gold items and a set of predicted items,
each item carrying one label (NER: ``(start, end, label)``; classification: the class name). Sets, as
spaCy's ``PRFScore.score_set`` uses them, so a duplicated span counts once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # numpy itself is imported where it is used
    import numpy as np
    from numpy.typing import NDArray

Item = TypeVar("Item", bound=Hashable)  # NER: ``(start, end, label)``; classification: the class name


def ratio(num: float, den: float) -> float:
    # Zero division gives 0.0, as seqeval, nervaluate, scikit-learn (zero_division default) and spaCy all do.
    return num / den if den else 0.0


@dataclass(slots=True)
class PRF:
    """Counts and scores of one label (or of all labels pooled), after spaCy's ``PRFScore``."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: PRF) -> PRF:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        # 2TP / (2TP + FP + FN) equals 2PR / (P + R) and needs no float rounding of P and R first.
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def to_json(self, support: bool = True) -> dict[str, float]:
        out: dict[str, float] = {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                               "tp": self.tp, "fp": self.fp, "fn": self.fn}
        if support:
            out["support"] = self.support
        return out


@dataclass(slots=True)
class Scores:
    """Strict scores of a test set, with per-document counts kept for the bootstrap."""

    labels: list[str]
    per_label: dict[str, PRF]
    micro: PRF
    # Per document: label -> [tp, fp, fn]; only labels with a nonzero count appear.
    doc_counts: list[dict[str, list[int]]] = field(default_factory=list)

    def macro(self) -> dict[str, float]:
        # Macro = plain mean of per-label scores (the reference's macro F1, also seqeval's and sklearn's).
        n = len(self.per_label)
        if not n:
            return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        values = self.per_label.values()
        return {
            "precision": sum(s.precision for s in values) / n,
            "recall": sum(s.recall for s in values) / n,
            "f1": sum(s.f1 for s in values) / n,
        }

    def counts_array(self, labels: Sequence[str] | None = None) -> NDArray[np.int64]:
        """``(documents, labels, 3)`` int array of tp, fp, fn (numpy)."""
        return counts_array(self.doc_counts, list(labels if labels is not None else self.labels))


def counts_array(doc_counts: Sequence[dict[str, list[int]]], labels: list[str]) -> NDArray[np.int64]:
    import numpy as np

    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(doc_counts), len(labels), 3), dtype=np.int64)
    for d, counts in enumerate(doc_counts):
        for label, (tp, fp, fn) in counts.items():
            j = index.get(label)
            if j is not None:
                out[d, j, 0] = tp
                out[d, j, 1] = fp
                out[d, j, 2] = fn
    return out


def order_labels(found: set[str], preferred: Sequence[str] | None = None) -> list[str]:
    """Manifest order first (when known), then the rest sorted, so tables are stable."""
    preferred = list(preferred or [])
    first = [label for label in preferred if label in found]
    return first + sorted(found - set(first))


def score_sets(
    gold: Sequence[set[Item]],
    pred: Sequence[set[Item]],
    label_of: Callable[[Item], str],
    labels: Sequence[str] | None = None,
) -> Scores:
    """Strict matching: an item is a TP when it is in both sets, else FP (predicted) or FN (gold).

    A right span with the wrong label is therefore an FP for the predicted label and an FN for the gold
    one. Labels neither in gold nor predicted are left out (the reference's rule; seqeval's too).
    """
    per_label: dict[str, PRF] = {}
    doc_counts: list[dict[str, list[int]]] = []
    for g, p in zip(gold, pred, strict=True):
        counts: dict[str, list[int]] = {}
        for item in g & p:
            counts.setdefault(label_of(item), [0, 0, 0])[0] += 1
        for item in p - g:
            counts.setdefault(label_of(item), [0, 0, 0])[1] += 1
        for item in g - p:
            counts.setdefault(label_of(item), [0, 0, 0])[2] += 1
        for label, (tp, fp, fn) in counts.items():
            prf = per_label.setdefault(label, PRF())
            prf.tp += tp
            prf.fp += fp
            prf.fn += fn
        doc_counts.append(counts)
    ordered = order_labels(set(per_label), labels)
    per_label = {label: per_label[label] for label in ordered}
    micro = PRF()
    for prf in per_label.values():
        micro += prf
    return Scores(ordered, per_label, micro, doc_counts)
