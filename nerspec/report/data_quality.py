"""Report views of the data's own quality: likely label errors and annotator agreement (``nerspec lint``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nerspec.evaluate.record import Evaluation
from nerspec.report.numbers import rounded

View = dict[str, Any]  # a section of the report's view model (plain JSON for the templates)


def _objects(value: object) -> list[Mapping[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _size(value: object) -> int:
    return len(value) if isinstance(value, (list, dict, str)) else 0


def label_errors_view(entry: Mapping[str, object] | None) -> View | None:
    """The run result's ``label_errors`` (``nerspec.train.label_errors.report_entry``) for the templates."""
    if entry is None or not entry.get("findings"):
        return None
    rows = []
    for f in _objects(entry["findings"]):
        rows.append({
            "doc_id": str(f.get("id", "")),
            "kind": str(f.get("kind", "")).replace("_", " "),
            "label": "" if f.get("label") is None else str(f["label"]),
            "suggested": "" if f.get("suggested") is None else str(f["suggested"]),
            "score": rounded(f.get("score")),
            "context": str(f.get("context", "")),
        })
    total = entry.get("total", len(rows))
    return {
        "scope": "documents this change added or relabeled" if entry.get("documents") == "changed" else "all documents",
        "total": int(total) if isinstance(total, (int, float, str)) else len(rows),
        "folds": entry.get("folds"),
        "rows": rows,
    }


def agreement_view(entry: dict[str, object] | None, evaluation: Evaluation) -> View | None:
    """Annotator agreement beside the model's micro F1 (people rarely are beaten by the model they trained)."""
    if entry is None or entry.get("f1") is None and entry.get("kappa") is None:
        return None
    return {
        "f1": rounded(entry.get("f1")),
        "kappa": rounded(entry.get("kappa")),
        "model_f1": rounded(evaluation.micro.f1),
        "pairs": _size(entry.get("pairs")),
        "documents": _size(entry.get("documents")),
    }
