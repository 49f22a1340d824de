"""Report views of calibration (reliability) and of what changed document by document.

Both read the candidate's Evaluation JSON (``calibration``, ``changes``); they return plain values that the
templates escape for their format (text from data only ever reaches a template as a plain string).
"""

from __future__ import annotations

from typing import Any


def _num(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None


def calibration_view(evaluation: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any] | None:
    """ECE, the deployed model's ECE, and the non-empty reliability bins; None when nothing was measured."""
    calibration = evaluation.get("calibration") or {}
    ece = _num(calibration.get("ece"))
    if ece is None:
        return None
    bins = [
        {
            "range": f"{_num(b.get('lower')):.1f}-{_num(b.get('upper')):.1f}",
            "lower": _num(b.get("lower")),
            "upper": _num(b.get("upper")),
            "count": int(b.get("count") or 0),
            "confidence": _num(b.get("confidence")),
            "accuracy": _num(b.get("accuracy")),
        }
        for b in calibration.get("bins") or []
        if _num(b.get("lower")) is not None and _num(b.get("upper")) is not None
    ]
    return {
        "ece": ece,
        "baseline_ece": _num(((baseline or {}).get("calibration") or {}).get("ece")),
        "measured": int(calibration.get("items") or 0),
        "method": str(calibration.get("method") or "none"),
        "bins": bins,
        "shown": [b for b in bins if b["count"]],
    }


def _describe(item: dict[str, Any]) -> str:
    mark = "✓" if item.get("correct") else "✗"
    if "start" in item:
        return f"{item.get('label', '')} “{item.get('text', '')}” [{item.get('start')}:{item.get('end')}] {mark}"
    return f"{item.get('label', '')} {mark}"


def changes_view(evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """Newly wrong / newly right documents with what each model alone predicted; None without a baseline."""
    changes = evaluation.get("changes")
    if not isinstance(changes, dict):
        return None
    rows = [
        {
            "id": str(d.get("id", "")),
            "change": str(d.get("change", "")),
            "candidate": "; ".join(_describe(i) for i in d.get("candidate_only") or []) or "—",
            "baseline": "; ".join(_describe(i) for i in d.get("baseline_only") or []) or "—",
        }
        for d in changes.get("documents") or []
    ]
    against = changes.get("against") or {}
    return {
        "newly_wrong": int(changes.get("newly_wrong") or 0),
        "newly_right": int(changes.get("newly_right") or 0),
        "more": int(changes.get("more") or 0),
        "deployment": str(against.get("deployment", "")),
        "rows": rows,
    }
