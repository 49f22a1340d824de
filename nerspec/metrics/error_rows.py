"""Error-table rows of the report, one builder per shape of label (the kinds pick theirs: ``report_errors``).

Each row is plain strings (``doc_id``, ``error``, ``gold``, ``predicted`` and an excerpt ``before``/``match``/
``after``); the templates escape them for their format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nerspec import escape

ErrorRow = dict[str, str]
SpanKey = tuple[int, int, str]


def _span(item: object) -> SpanKey | None:
    """A span from any of the shapes the contract allows: Span dicts, prediction dicts or triples."""
    if isinstance(item, dict):
        if "start" in item and "end" in item:
            return int(item["start"]), int(item["end"]), str(item.get("label", item.get("category", "")))
        if "offset" in item and "length" in item:
            start = int(item["offset"])
            return start, start + int(item["length"]), str(item.get("category", item.get("label", "")))
        return None
    if isinstance(item, (list, tuple)) and len(item) == 3:
        return int(item[0]), int(item[1]), str(item[2])
    return None


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def span_errors(doc: Mapping[str, object]) -> list[ErrorRow]:
    """Missed, spurious, wrong-type and boundary errors of one document's spans."""
    text = str(doc.get("text", ""))
    gold = {s for s in map(_span, _list(doc.get("gold"))) if s}
    pred = {s for s in map(_span, _list(doc.get("predicted"))) if s}
    missed = sorted(gold - pred)
    spurious = sorted(pred - gold)
    rows: list[ErrorRow] = []
    pred_by_offsets = {(s, e): lab for s, e, lab in spurious}
    used: set[tuple[int, int]] = set()
    for start, end, label in missed:
        overlapping = [p for p in spurious if p[0] < end and start < p[1] and (p[0], p[1]) not in used]
        if (start, end) in pred_by_offsets and (start, end) not in used:
            used.add((start, end))
            kind, predicted = "wrong type", pred_by_offsets[(start, end)]
        elif overlapping:
            other = overlapping[0]
            used.add((other[0], other[1]))
            kind = "boundary" if other[2] == label else "boundary and type"
            predicted = f"{other[2]}: {text[other[0]:other[1]]}"
        else:
            kind, predicted = "missed", "—"
        rows.append(error_row(doc, kind, label, predicted, text, start, end))
    for start, end, label in spurious:
        if (start, end) not in used:
            rows.append(error_row(doc, "spurious", "—", label, text, start, end))
    return rows


def _labels_of(items: Iterable[object] | None) -> list[str]:
    out: list[str] = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(str(item.get("category", item.get("label", ""))))
        else:
            out.append(str(item))
    return sorted(out)


def class_errors(doc: Mapping[str, object]) -> list[ErrorRow]:
    """One ``misclassified`` row when a document's predicted classes differ from its gold ones."""
    text = str(doc.get("text", ""))
    gold, pred = _labels_of(_list(doc.get("gold"))), _labels_of(_list(doc.get("predicted")))
    if gold == pred:
        return []
    row = error_row(doc, "misclassified", ", ".join(gold) or "—", ", ".join(pred) or "—", text, 0, 0)
    row["before"], row["match"], row["after"] = "", "", text[:160] + ("…" if len(text) > 160 else "")
    return [row]


def error_row(
    doc: Mapping[str, object], kind: str, gold: str, predicted: str, text: str, start: int, end: int
) -> ErrorRow:
    before, match, after = escape.excerpt(text, start, end, width=50)
    return {
        "doc_id": str(doc.get("id", "")),
        "error": kind,
        "gold": gold,
        "predicted": predicted,
        "before": before,
        "match": match,
        "after": after,
    }
