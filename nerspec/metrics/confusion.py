"""Confusion matrices over labels plus ``$none``: rows gold, columns predicted.

NER: an exact-span match with the same type is on the diagonal; the same span with another type is
the cell (gold type, predicted type); a missed entity is in column ``$none`` and a spurious one in row
``$none``. So row sums are the gold counts, column sums the predicted counts, and the off-diagonal
cells of a row plus its ``$none`` cell are that type's strict FN (columns: FP).

A boundary error of the same type (gold ``[0, 10) PER``, predicted ``[0, 5) PER``) is, under strict
matching, one missed and one spurious entity and is shown that way in the matrix; ``boundary_errors``
counts such overlapping same-type pairs per type so a report can say how much of ``$none`` is boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nerspec.corpus.model import Document

NONE = "$none"


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def ner_confusion(
    gold_docs: Sequence[Document], pred_docs: Sequence[Document], labels: Sequence[str]
) -> dict[str, Any]:
    names = list(labels) + [NONE]
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    matrix = [[0] * size for _ in range(size)]
    boundary: dict[str, int] = {}
    none = index[NONE]
    for gold_doc, pred_doc in zip(gold_docs, pred_docs, strict=True):
        gold = {(s.start, s.end, s.label) for s in gold_doc.spans}
        pred = {(s.start, s.end, s.label) for s in pred_doc.spans}
        exact = gold & pred
        for _, _, label in exact:
            i = index[label]
            matrix[i][i] += 1
        gold_left = sorted(gold - exact)
        pred_left = sorted(pred - exact)
        # Same span, other type: pair them up; each position with several labels pairs in sorted order.
        by_span: dict[tuple[int, int], list[str]] = {}
        for start, end, label in pred_left:
            by_span.setdefault((start, end), []).append(label)
        unmatched_gold: list[tuple[int, int, str]] = []
        for start, end, label in gold_left:
            candidates = by_span.get((start, end))
            if candidates:
                matrix[index[label]][index[candidates.pop(0)]] += 1
            else:
                unmatched_gold.append((start, end, label))
        unmatched_pred = [(s, e, lab) for (s, e), labs in by_span.items() for lab in labs]
        for _, _, label in unmatched_gold:
            matrix[index[label]][none] += 1
        for _, _, label in unmatched_pred:
            matrix[none][index[label]] += 1
        used: set[int] = set()
        for g in unmatched_gold:
            for j, p in enumerate(unmatched_pred):
                if j not in used and p[2] == g[2] and _overlap(g, p):
                    used.add(j)
                    boundary[g[2]] = boundary.get(g[2], 0) + 1
                    break
    return {
        "labels": names,
        "matrix": matrix,
        "boundary_errors": {label: boundary[label] for label in labels if label in boundary},
    }


def class_confusion(
    gold_sets: Sequence[set[str]], pred_sets: Sequence[set[str]], labels: Sequence[str]
) -> dict[str, Any]:
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


def confused_pairs(confusion: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """``(gold, predicted, count, gold_total)`` for every nonzero off-diagonal cell between two labels."""
    names: list[str] = confusion["labels"]
    matrix: list[list[int]] = confusion["matrix"]
    out: list[tuple[str, str, int, int]] = []
    for i, gold in enumerate(names):
        if gold == NONE:
            continue
        total = sum(matrix[i])
        for j, pred in enumerate(names):
            if pred != NONE and i != j and matrix[i][j]:
                out.append((gold, pred, matrix[i][j], total))
    return out
