"""Report views of single sections: calibration (reliability), what changed document by document, the
confusion matrix against the deployed model's, gate rows and what a merge would deploy.

They read the run result and the candidate's Evaluation JSON; they return plain values that the templates escape
for their format (text from data only ever reaches a template as a plain string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from nerspec.evaluate.record import Calibration, Evaluation
from nerspec.metrics.confusion import PAIRING_NOTES
from nerspec.report.numbers import fmt_num, fmt_signed, rounded
from nerspec.run_record import GateRow

if TYPE_CHECKING:
    from nerspec.plan.actions import Action

NONE_LABEL = "$none"
View = dict[str, Any]  # a section of the report's view model (plain JSON for the templates)


def calibration_view(evaluation: Evaluation, baseline: Evaluation | None) -> View | None:
    """ECE, the deployed model's ECE, and the non-empty reliability bins; None when nothing was measured."""
    calibration = evaluation.calibration or Calibration()
    ece = rounded(calibration.ece)
    if ece is None:
        return None
    bins = [
        {
            "range": f"{lower:.1f}-{upper:.1f}",
            "lower": lower,
            "upper": upper,
            "count": b.count or 0,
            "confidence": rounded(b.confidence),
            "accuracy": rounded(b.accuracy),
        }
        for b in calibration.bins
        if (lower := rounded(b.lower)) is not None and (upper := rounded(b.upper)) is not None
    ]
    before = baseline.calibration if baseline is not None else None
    return {
        "ece": ece,
        "baseline_ece": rounded(before.ece) if before is not None else None,
        "measured": calibration.items or 0,
        "method": calibration.method or "none",
        "source": _calibration_source(calibration),
        "sampling_noise": rounded(calibration.sampling_noise),
        "bins": bins,
        "shown": [b for b in bins if b["count"]],
    }


# Where the map was fitted (``fitted_on`` in the Evaluation JSON), as the report's sentence says it.
_METHOD = {"platt": "Platt scaling", "isotonic": "isotonic regression",
           "per-class": "one map per class (Platt or isotonic)"}
_FITTED_ON = {"dev": "the dev carve", "cross-fit": "cross-fitted scores of the training documents"}


def _calibration_source(calibration: Calibration) -> str:
    from nerspec.calibration import fit_uncertainty

    method = calibration.method or "none"
    if method == "none":
        return "uncalibrated"
    fitted_on = _FITTED_ON.get(calibration.fitted_on or "dev", str(calibration.fitted_on))
    items = calibration.fitted_items or 0
    if not items:  # an Evaluation from before the count was recorded
        return f"calibrated by {_METHOD.get(method, method)} on {fitted_on}"
    noun = "documents per class" if method == "per-class" else "predictions"
    return (f"calibrated by {_METHOD.get(method, method)} on {items} {noun} from {fitted_on}, which pin the "
            f"mean accuracy down to about ±{fmt_num(fit_uncertainty(items), 2)}")


def _describe(item: dict[str, object]) -> str:
    mark = "✓" if item.get("correct") else "✗"
    if "start" in item:
        return f"{item.get('label', '')} “{item.get('text', '')}” [{item.get('start')}:{item.get('end')}] {mark}"
    return f"{item.get('label', '')} {mark}"


def changes_view(evaluation: Evaluation) -> View | None:
    """Newly wrong / newly right documents with what each model alone predicted; None without a baseline."""
    changes = evaluation.changes
    if changes is None:
        return None
    rows = [
        {
            "id": d.id,
            "change": d.change,
            "candidate": "; ".join(_describe(i) for i in d.candidate_only) or "—",
            "baseline": "; ".join(_describe(i) for i in d.baseline_only) or "—",
        }
        for d in changes.documents
    ]
    return {
        "newly_wrong": changes.newly_wrong,
        "newly_right": changes.newly_right,
        "more": changes.more,
        "deployment": changes.against.get("deployment", ""),
        "rows": rows,
    }


def confusion_view(evaluation: Evaluation, baseline: Evaluation | None) -> View | None:
    cm = evaluation.confusion_matrix
    if cm is None:
        return None
    labels, matrix = list(cm.labels), cm.matrix
    if not labels or len(matrix) != len(labels):
        return None
    base_cell: Callable[[str, str], int | None] = lambda g, p: None  # noqa: E731
    before = baseline.confusion_matrix if baseline is not None else None
    if before is not None and before.model_fields_set:
        b_labels, b_matrix = before.labels, before.matrix
        index = {label: i for i, label in enumerate(b_labels)}

        def base_cell(g: str, p: str) -> int | None:
            if g in index and p in index:
                return int(b_matrix[index[g]][index[p]])
            return 0

    if NONE_LABEL in labels:
        # Single-label classification never predicts "nothing": an all-zero `$none` row and column is noise.
        k = labels.index(NONE_LABEL)
        if not any(int(matrix[k][j]) or int(matrix[j][k]) for j in range(len(labels))):
            labels = labels[:k] + labels[k + 1 :]
            matrix = [row[:k] + row[k + 1 :] for i, row in enumerate(matrix) if i != k]
    rows, changed = [], 0
    for i, gold in enumerate(labels):
        cells: list[View] = []
        for j, pred in enumerate(labels):
            value = int(matrix[i][j])
            base = base_cell(gold, pred)
            delta = value - base if base is not None else None
            if delta:
                changed += 1
            # More on the diagonal is better, more off it is worse; `$none`/`$none` is never counted.
            good = None if not delta else (delta > 0) == (i == j)
            cells.append({"predicted": pred, "value": value, "baseline": base, "delta": delta, "good": good})
        rows.append({"gold": gold, "total": sum(c["value"] for c in cells), "cells": cells})
    view = {"labels": labels, "rows": rows, "changed": changed, "has_baseline": base_cell("", "") is not None}
    note = PAIRING_NOTES.get(cm.pairing or "")
    return {**view, "pairing_note": note} if note else view


def _is_regression(gate: GateRow) -> bool:
    # gates.py names every regression result `regression.<what>` (apply's missing-baseline failure: `regression`).
    return gate.name == "regression" or gate.name.startswith("regression.")


def gate_view(gate: GateRow) -> View:
    """One gate row that reads on its own: what is required, what was measured, the outcome.

    An absolute gate is `value` against `min <threshold>`. A regression gate's threshold is an allowed *drop*, so
    showing it next to the raw score ("0.778 | 0.030") misleads; its value is the change against the baseline
    with both scores, `-0.012 (0.871 → 0.859)`, next to `max drop 0.030`.
    """
    threshold, value, base = rounded(gate.threshold), rounded(gate.value), rounded(gate.baseline)
    skipped = gate.skipped
    regression = _is_regression(gate)
    delta = round(value - base, 4) if value is not None and base is not None else None
    if regression:
        requirement = "max drop —" if threshold is None else f"max drop {fmt_num(threshold)}"
        if delta is not None:
            shown = f"{fmt_signed(delta)} ({fmt_num(base)} → {fmt_num(value)})"
        else:
            shown = "—" if value is None else f"{fmt_num(value)} (no baseline score)"
    else:
        bound = "max" if gate.metric == "ece" else "min"  # calibration.max_ece is an upper bound
        requirement = f"{bound} —" if threshold is None else f"{bound} {fmt_num(threshold)}"
        shown = fmt_num(value)
    passed = gate.passed
    return {
        "name": gate.name,
        "metric": gate.metric,
        "label": gate.label,
        "kind": "regression" if regression else "absolute",
        "threshold": threshold,
        "value": value,
        "baseline": base,
        "delta": delta,
        "requirement": requirement,
        "shown": shown,
        "passed": passed,
        "skipped": skipped,
        "status": "skipped" if skipped else ("pass" if passed else "fail"),
        "message": gate.message,
    }


def merge_view(mode: str, passed: bool, actions: list[Action], model: dict[str, object]) -> View | None:
    """What merging would do, for a pull-request run (`apply --no-deploy`); None for any other mode.

    A pull request never deploys, so "will not deploy (--no-deploy)" says nothing; the reviewer's question is
    whether the merge will. The push to main runs the same plan with the same gates, so the answer is the plan's
    deploy actions when the gates passed, and nothing when they failed.
    """
    if mode != "apply --no-deploy":
        return None
    from nerspec.plan.actions import Deploy

    deploys = [a for a in actions if isinstance(a, Deploy)]
    return {
        "deploy": passed and bool(deploys),
        "gates_failed": not passed,
        "deployments": [
            {"deployment": a.deployment, "from": a.from_fp, "to": str(a.to or model.get("fingerprint") or "")}
            for a in deploys
        ],
    }


def _pvalue(value: JsonValue) -> str:
    p = float(value) if isinstance(value, (int, float, str)) else float("nan")
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def production_view(results: object) -> list[View]:
    """The report's Production section: per monitored deployment (``nerspec monitor``'s JSON, attached by
    ``nerspec.report.production``), its window, volume, drift signals and estimated vs measured precision."""
    out = []
    monitored: list[View] = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    for result in monitored:
        drift = result.get("drift") or None
        estimated = result.get("estimated") or {}
        compared = result.get("compared") or {}
        window = result.get("window") or {}
        out.append({
            "deployment": str(result.get("deployment", "")),
            "fingerprint": str(result.get("fingerprint", "")),
            "start": window.get("start"), "end": window.get("end"), "documents": int(window.get("documents") or 0),
            "drifted": None if drift is None else bool(drift.get("drifted")),
            "score": None if drift is None else drift.get("score"),
            "signals": [{"name": s["name"], "test": s["test"], "p_value": _pvalue(s["p_value"]), "effect": s["effect"],
                         "min_effect": s["min_effect"], "drifted": bool(s["drifted"]), "window": str(s["window"]),
                         "reference": str(s["reference"])} for s in (drift or {}).get("signals") or []],
            "estimated": estimated.get("precision"), "interval": estimated.get("interval"),
            "reliable": bool(estimated.get("reliable")), "reasons": list(estimated.get("reasons") or []),
            "measured": compared.get("measured_precision"), "test_estimated": compared.get("estimated_precision"),
            "timeline": list(result.get("timeline") or []),
            "alerts": list(result.get("alerts") or []), "notes": list(result.get("notes") or []),
        })
    return out
