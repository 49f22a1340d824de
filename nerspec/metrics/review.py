"""The review test set: per document, gold and predicted items marked TP/FP/FN, with the error named.

Items carry ``label`` and ``status`` for both kinds (so per-document counts can be read back for the
paired bootstrap); NER items add ``start``, ``end``, ``text``. ``error`` is None for a TP, otherwise one of:
``type confusion`` (same span, other type), ``boundary error`` (overlapping span, same type),
``boundary and type error`` (overlapping span, other type), ``missed`` (FN) or ``spurious`` (FP),
each followed by what the other side has there. Classification: ``missed`` / ``extra class`` with the
classes of the other side that were wrong (``predicted instead`` / ``expected instead``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

from nerspec.corpus.model import Document

Ent = tuple[int, int, str]


class ReviewItem(TypedDict):
    """A gold or predicted item of a reviewed document (NER items have offsets and text; classes may carry a score)."""

    label: str
    status: str  # TP, FP or FN
    error: str | None
    start: NotRequired[int]
    end: NotRequired[int]
    text: NotRequired[str]
    score: NotRequired[float]


class ReviewDocument(TypedDict):
    """An entry of the Evaluation's ``documents``."""

    id: str
    text: str
    gold: list[ReviewItem]
    predicted: list[ReviewItem]
    mismatch: bool


def _overlap(a: Ent, b: Ent) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _explain(item: Ent, others: set[Ent], text: str, other_side: str) -> str:
    """What the other side has at this item's place, for an unmatched item."""
    same_span = sorted(o for o in others if o[0] == item[0] and o[1] == item[1])
    if same_span:
        return f"type confusion: {other_side} {same_span[0][2]}"
    overlapping = sorted(o for o in others if _overlap(item, o))
    same_type = [o for o in overlapping if o[2] == item[2]]
    if same_type:
        o = same_type[0]
        return f"boundary error: {other_side} {text[o[0]:o[1]]!r} [{o[0]}:{o[1]}]"
    if overlapping:
        o = overlapping[0]
        return f"boundary and type error: {other_side} {o[2]} {text[o[0]:o[1]]!r} [{o[0]}:{o[1]}]"
    return "missed" if other_side == "predicted" else "spurious"


def _ner_item(e: Ent, text: str, status: str, error: str | None) -> ReviewItem:
    return {"start": e[0], "end": e[1], "label": e[2], "text": text[e[0] : e[1]], "status": status, "error": error}


def review_ner(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> list[ReviewDocument]:
    out: list[ReviewDocument] = []
    for g_doc, p_doc in zip(gold_docs, pred_docs, strict=True):
        text = g_doc.text
        gold = {(s.start, s.end, s.label) for s in g_doc.spans}
        pred = {(s.start, s.end, s.label) for s in p_doc.spans}
        wrong_pred, wrong_gold = pred - gold, gold - pred
        gold_items = [
            _ner_item(e, text, "TP", None) if e in pred
            else _ner_item(e, text, "FN", _explain(e, wrong_pred, text, "predicted"))
            for e in sorted(gold)
        ]
        pred_items = [
            _ner_item(e, text, "TP", None) if e in gold
            else _ner_item(e, text, "FP", _explain(e, wrong_gold, text, "tagged"))
            for e in sorted(pred)
        ]
        out.append(
            {"id": g_doc.id, "text": text, "gold": gold_items, "predicted": pred_items, "mismatch": gold != pred}
        )
    return out


def review_classes(
    gold_docs: Sequence[Document],
    gold_sets: Sequence[set[str]],
    pred_sets: Sequence[set[str]],
    scores: Sequence[dict[str, float]] | None = None,
) -> list[ReviewDocument]:
    out: list[ReviewDocument] = []
    for k, (doc, gold, pred) in enumerate(zip(gold_docs, gold_sets, pred_sets, strict=True)):
        extra = sorted(pred - gold)
        missed = sorted(gold - pred)
        gold_items: list[ReviewItem] = [
            {"label": c, "status": "TP" if c in pred else "FN",
             "error": None if c in pred else ("predicted instead: " + ", ".join(extra) if extra else "missed")}
            for c in sorted(gold)
        ]
        pred_items: list[ReviewItem] = []
        for c in sorted(pred):
            item: ReviewItem = {
                "label": c, "status": "TP" if c in gold else "FP",
                "error": None if c in gold else ("expected instead: " + ", ".join(missed) if missed else "extra class"),
            }
            if scores is not None and c in scores[k]:
                item["score"] = scores[k][c]
            pred_items.append(item)
        out.append(
            {"id": doc.id, "text": doc.text, "gold": gold_items, "predicted": pred_items, "mismatch": gold != pred}
        )
    return out


def mismatches_only(documents: list[ReviewDocument]) -> list[ReviewDocument]:
    return [d for d in documents if d["mismatch"]]
