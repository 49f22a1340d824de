"""Report views of the data's own quality: likely label errors and annotator agreement (``nerspec lint``)."""

from __future__ import annotations

from typing import Any

from nerspec.report.numbers import rounded

Json = dict[str, Any]


def label_errors_view(entry: Any) -> Json | None:
    """The run result's ``label_errors`` (``nerspec.train.label_errors.report_entry``) for the templates."""
    if not isinstance(entry, dict) or not entry.get("findings"):
        return None
    rows = []
    for f in entry["findings"]:
        rows.append({
            "doc_id": str(f.get("id", "")),
            "kind": str(f.get("kind", "")).replace("_", " "),
            "label": "" if f.get("label") is None else str(f["label"]),
            "suggested": "" if f.get("suggested") is None else str(f["suggested"]),
            "score": rounded(f.get("score")),
            "context": str(f.get("context", "")),
        })
    return {
        "scope": "documents this change added or relabeled" if entry.get("documents") == "changed" else "all documents",
        "total": int(entry.get("total", len(rows))),
        "folds": entry.get("folds"),
        "rows": rows,
    }


def agreement_view(entry: Any, evaluation: Json) -> Json | None:
    """Annotator agreement beside the model's micro F1 (people rarely are beaten by the model they trained)."""
    if not isinstance(entry, dict) or entry.get("f1") is None and entry.get("kappa") is None:
        return None
    micro = (evaluation.get("micro") or {}) if isinstance(evaluation, dict) else {}
    return {
        "f1": rounded(entry.get("f1")),
        "kappa": rounded(entry.get("kappa")),
        "model_f1": rounded(micro.get("f1")),
        "pairs": len(entry.get("pairs") or []),
        "documents": len(entry.get("documents") or []),
    }
