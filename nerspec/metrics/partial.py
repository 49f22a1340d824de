"""SemEval-2013 task 9.1 partial-credit views, computed as nervaluate (1.2) computes them.

Categories: correct, incorrect, partial, missed, spurious; schemes ``strict`` (exact span and type),
``exact`` (exact span, any type), ``partial`` (overlap, any type; partial counts half) and ``type``
(overlap with the right type; nervaluate's ``ent_type``).

Matching is greedy and order dependent exactly like nervaluate: predictions in order, each scanning the
not yet matched gold entities in order. We feed both sides sorted by (start, end, label) and deduplicated
(as the strict scorer uses sets), so the result does not depend on how a file happened to order spans.
nervaluate's entities have inclusive ends; ours are exclusive, so overlap uses ``end - 1``. As in
nervaluate (``min_overlap_percentage=1.0``), an overlap counts when it covers at least 1% of the gold span.
"""

from __future__ import annotations

from collections.abc import Sequence

from nerspec.corpus.model import Document
from nerspec.metrics.prf import ratio

SCHEMES = ("strict", "exact", "partial", "type")
CATEGORIES = ("correct", "incorrect", "partial", "missed", "spurious")
MIN_OVERLAP_PERCENT = 1.0

Ent = tuple[int, int, str]


def _overlaps(pred: Ent, true: Ent) -> bool:
    p_start, p_last = pred[0], pred[1] - 1
    t_start, t_last = true[0], true[1] - 1
    if p_start > t_last or p_last < t_start:
        return False
    overlap = min(p_last, t_last) - max(p_start, t_start) + 1
    return overlap / (t_last - t_start + 1) * 100.0 >= MIN_OVERLAP_PERCENT


def _strict_like(true: list[Ent], pred: list[Ent], use_label: bool, counts: dict[str, int]) -> None:
    matched: set[int] = set()
    for p in pred:
        incorrect: int | None = None
        found = False
        for ti, t in enumerate(true):
            if ti in matched:
                continue
            if p[0] == t[0] and p[1] == t[1] and (not use_label or p[2] == t[2]):
                counts["correct"] += 1
                matched.add(ti)
                found = True
                break
            if incorrect is None and _overlaps(p, t):
                incorrect = ti
        if not found:
            if incorrect is not None:
                counts["incorrect"] += 1
                matched.add(incorrect)
            else:
                counts["spurious"] += 1
    counts["missed"] += len(true) - len(matched)


def _partial(true: list[Ent], pred: list[Ent], counts: dict[str, int]) -> None:
    matched: set[int] = set()
    for p in pred:
        partial: int | None = None
        found = False
        for ti, t in enumerate(true):
            if ti in matched:
                continue
            if _overlaps(p, t):
                if p[0] == t[0] and p[1] == t[1]:
                    counts["correct"] += 1
                    matched.add(ti)
                    found = True
                    break
                if partial is None:
                    partial = ti
        if not found:
            if partial is not None:
                counts["partial"] += 1
                matched.add(partial)
            else:
                counts["spurious"] += 1
    counts["missed"] += len(true) - len(matched)


def _type(true: list[Ent], pred: list[Ent], counts: dict[str, int]) -> None:
    matched: set[int] = set()
    for p in pred:
        best: int | None = None
        best_distance: int | None = None
        incorrect: int | None = None
        for ti, t in enumerate(true):
            if ti in matched or not _overlaps(p, t):
                continue
            distance = abs(p[0] - t[0]) + abs(p[1] - t[1])
            if p[2] == t[2]:
                # The closest boundaries win; ties keep the first (nervaluate's strict "<").
                if best_distance is None or distance < best_distance:
                    best, best_distance = ti, distance
            elif incorrect is None:
                incorrect = ti
        if best is not None:
            counts["correct"] += 1
            matched.add(best)
        elif incorrect is not None:
            counts["incorrect"] += 1
            matched.add(incorrect)
        else:
            counts["spurious"] += 1
    counts["missed"] += len(true) - len(matched)


def _finish(counts: dict[str, int], half_partial: bool) -> dict[str, float]:
    actual = counts["correct"] + counts["incorrect"] + counts["partial"] + counts["spurious"]
    possible = counts["correct"] + counts["incorrect"] + counts["partial"] + counts["missed"]
    credit = counts["correct"] + (0.5 * counts["partial"] if half_partial else 0.0)
    precision = ratio(credit, actual)
    recall = ratio(credit, possible)
    f1 = ratio(2 * precision * recall, precision + recall)
    return {**counts, "possible": possible, "actual": actual, "precision": precision, "recall": recall, "f1": f1}


def entities(doc: Document) -> list[Ent]:
    return sorted({(s.start, s.end, s.label) for s in doc.spans})


def score_partial(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> dict[str, dict[str, float]]:
    """``{scheme: {correct, incorrect, partial, missed, spurious, possible, actual, precision, recall, f1}}``."""
    totals = {scheme: dict.fromkeys(CATEGORIES, 0) for scheme in SCHEMES}
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        true, predicted = entities(gold), entities(pred)
        if true == predicted or not true or not predicted:
            # Shortcuts with the same outcome as the matching loops: all correct, all spurious or all missed.
            for counts in totals.values():
                counts["correct"] += len(true) if true == predicted else 0
                counts["spurious"] += len(predicted) if not true else 0
                counts["missed"] += len(true) if not predicted else 0
            continue
        _strict_like(true, predicted, True, totals["strict"])
        _strict_like(true, predicted, False, totals["exact"])
        _partial(true, predicted, totals["partial"])
        _type(true, predicted, totals["type"])
    # nervaluate gives partial matches half credit in the partial and type schemes only.
    return {scheme: _finish(totals[scheme], scheme in ("partial", "type")) for scheme in SCHEMES}
