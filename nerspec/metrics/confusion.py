"""Confusion matrices over labels plus ``$none``: rows gold, columns predicted.

NER: an exact-span match with the same type is on the diagonal; the same span with another type is
the cell (gold type, predicted type); a missed entity is in column ``$none`` and a spurious one in row
``$none``. So row sums are the gold counts, column sums the predicted counts, and the off-diagonal
cells of a row plus its ``$none`` cell are that type's strict FN (columns: FP).

A boundary error of the same type (gold ``[0, 10) PER``, predicted ``[0, 5) PER``) is, under strict
matching, one missed and one spurious entity and is shown that way in the matrix; ``boundary_errors``
counts such overlapping same-type pairs per type so a report can say how much of ``$none`` is boundaries.

In a project whose entities overlap or nest (``overlapping``), the spans left after the exact matches pair by
best overlap (of other types; ``_best_overlap_pairs``) instead of by the same span: the diagonal still holds
only exact matches, so the row and column sums keep their meaning; the matrix says so in ``pairing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

from nerspec.corpus.model import Document

NONE = "$none"


class ConfusionJSON(TypedDict):
    """The Evaluation's ``confusion_matrix``: rows gold, columns predicted, ``$none`` last."""

    labels: list[str]
    matrix: list[list[int]]
    boundary_errors: NotRequired[dict[str, int]]  # NER
    pairing: NotRequired[str]  # how spans paired where entities overlap (``PAIRING_NOTES``)
BEST_OVERLAP = "best_overlap"  # the matrix's ``pairing`` in an overlapping project
# What a matrix's ``pairing`` means, for the line reports print under the matrix.
PAIRING_NOTES = {
    BEST_OVERLAP: "Entities may overlap in this project: spans of other types pair by best overlap "
                  "(the diagonal holds only exact matches).",
}


Ent = tuple[int, int, str]  # (start, end, label)


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def ner_confusion(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document], labels: Sequence[str], overlapping: bool = False
) -> ConfusionJSON:
    """The matrix (``overlapping``: the project's spans may overlap or nest, so the spans left after the exact
    matches pair by best overlap, ``BEST_OVERLAP``, and the matrix records ``"pairing": "best_overlap"``)."""
    names = list(labels) + [NONE]
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    matrix = [[0] * size for _ in range(size)]
    boundary: dict[str, int] = {}
    none = index[NONE]
    pair = _best_overlap_pairs if overlapping else _same_span_pairs
    for gold_doc, pred_doc in zip(gold_docs, pred_docs, strict=True):
        gold = {(s.start, s.end, s.label) for s in gold_doc.spans}
        pred = {(s.start, s.end, s.label) for s in pred_doc.spans}
        exact = gold & pred
        for _, _, label in exact:
            i = index[label]
            matrix[i][i] += 1
        pairs, unmatched_gold, unmatched_pred = pair(sorted(gold - exact), sorted(pred - exact))
        for g, p in pairs:
            matrix[index[g[2]]][index[p[2]]] += 1
        for _, _, label in unmatched_gold:
            matrix[index[label]][none] += 1
        for _, _, label in unmatched_pred:
            matrix[none][index[label]] += 1
        for label in _boundary_errors(unmatched_gold, unmatched_pred):
            boundary[label] = boundary.get(label, 0) + 1
    out: ConfusionJSON = {
        "labels": names,
        "matrix": matrix,
        "boundary_errors": {label: boundary[label] for label in labels if label in boundary},
    }
    if overlapping:
        out["pairing"] = BEST_OVERLAP
    return out


def _same_span_pairs(gold_left: list[Ent], pred_left: list[Ent]) -> tuple[list[tuple[Ent, Ent]], list[Ent], list[Ent]]:
    """Same span, other type: pair them up; each position with several labels pairs in sorted order."""
    by_span: dict[tuple[int, int], list[str]] = {}
    for start, end, label in pred_left:
        by_span.setdefault((start, end), []).append(label)
    pairs: list[tuple[Ent, Ent]] = []
    unmatched_gold: list[Ent] = []
    for start, end, label in gold_left:
        candidates = by_span.get((start, end))
        if candidates:
            pairs.append(((start, end, label), (start, end, candidates.pop(0))))
        else:
            unmatched_gold.append((start, end, label))
    return pairs, unmatched_gold, [(s, e, lab) for (s, e), labs in by_span.items() for lab in labs]


def _best_overlap_pairs(gold_left: list[Ent], pred_left: list[Ent]) -> tuple[list[tuple[Ent, Ent]], list[Ent], list[Ent]]:
    """Overlapping spans of other types, the best overlap first: the largest share of the two spans' union
    (1.0 for the same span), then the most shared characters, then reading order. Each span pairs at most once.
    With nested entities the same span is no longer the only confusion (a predicted place covering most of a
    tagged organisation), and a nested span of another type is rarely its outer span's best overlap."""
    candidates = []
    for g in gold_left:
        for p in pred_left:
            if g[2] != p[2] and _overlap(g, p):
                shared = min(g[1], p[1]) - max(g[0], p[0])
                union = max(g[1], p[1]) - min(g[0], p[0])
                candidates.append((-shared / union, -shared, g, p))
    candidates.sort()
    pairs: list[tuple[Ent, Ent]] = []
    used_gold: set[Ent] = set()
    used_pred: set[Ent] = set()
    for _, _, g, p in candidates:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            pairs.append((g, p))
    return pairs, [g for g in gold_left if g not in used_gold], [p for p in pred_left if p not in used_pred]


def _boundary_errors(unmatched_gold: list[Ent], unmatched_pred: list[Ent]) -> list[str]:
    """The type of each missed entity that a spurious one of its type overlaps (each spurious one counts once)."""
    used: set[int] = set()
    found = []
    for g in unmatched_gold:
        for j, p in enumerate(unmatched_pred):
            if j not in used and p[2] == g[2] and _overlap(g, p):
                used.add(j)
                found.append(g[2])
                break
    return found


def class_confusion(
    gold_sets: Sequence[set[str]], pred_sets: Sequence[set[str]], labels: Sequence[str]
) -> ConfusionJSON:
    """Single-label: the usual confusion matrix. Multi-label: a document's wrong gold classes and wrong
    predicted classes are paired in sorted order (the rest go to ``$none``), which keeps the row sums equal
    to the gold counts and the column sums to the predicted counts, and reduces to the usual matrix when
    every document has exactly one class on each side."""
    names = list(labels) + [NONE]
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    matrix = [[0] * size for _ in range(size)]
    none = index[NONE]
    for gold, pred in zip(gold_sets, pred_sets, strict=True):
        for label in gold & pred:
            matrix[index[label]][index[label]] += 1
        missed = sorted(gold - pred)
        extra = sorted(pred - gold)
        for k in range(max(len(missed), len(extra))):
            row = index[missed[k]] if k < len(missed) else none
            col = index[extra[k]] if k < len(extra) else none
            matrix[row][col] += 1
    return {"labels": names, "matrix": matrix}


def confused_pairs(confusion: ConfusionJSON) -> list[tuple[str, str, int, int]]:
    """``(gold, predicted, count, gold_total)`` for every nonzero off-diagonal cell between two labels."""
    names, matrix = confusion["labels"], confusion["matrix"]
    out: list[tuple[str, str, int, int]] = []
    for i, gold in enumerate(names):
        if gold == NONE:
            continue
        total = sum(matrix[i])
        for j, pred in enumerate(names):
            if pred != NONE and i != j and matrix[i][j]:
                out.append((gold, pred, matrix[i][j], total))
    return out
