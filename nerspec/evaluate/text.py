"""Plain-text rendering of an Evaluation JSON for the terminal (the command prints what this returns)."""

from __future__ import annotations

from typing import Any

from nerspec.metrics.confusion import NONE, PAIRING_NOTES
from nerspec.numbers import metric_text


def _f(value: float) -> str:
    return metric_text(value)


def _ci(interval: list[float] | None) -> str:
    return f"[{_f(interval[0])}, {_f(interval[1])}]" if interval else ""


def _table(rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = right if right is not None else set(range(1, len(widths)))
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _calibration_and_changes(evaluation: dict[str, Any], items: str) -> list[str]:
    lines = []
    calibration = evaluation.get("calibration") or {}
    if calibration.get("ece") is not None:
        noise = calibration.get("sampling_noise")
        floor = f"; a perfectly calibrated model would show ~{_f(noise)} on as many" if noise is not None else ""
        fitted = f" fitted on {calibration['fitted_items']}" if calibration.get("fitted_items") else ""
        # Multi-label per-class calibration is measured over every (document, class) pair, returned or not.
        what = "(document, class) pairs" if calibration.get("per_class") is not None else f"predicted {items}"
        lines.append(f"calibration: ECE {_f(calibration['ece'])} over {calibration.get('items', 0)} {what} "
                     f"({calibration.get('method', 'none')}{fitted}{floor})")
    changes = evaluation.get("changes")
    if isinstance(changes, dict):
        against = (changes.get("against") or {}).get("deployment", "the deployed model")
        lines.append(f"vs {against}: {changes.get('newly_wrong', 0)} test documents newly wrong, "
                     f"{changes.get('newly_right', 0)} newly right")
        for doc in (changes.get("documents") or [])[:10]:
            lines.append(f"  {doc['change']}: {doc['id']}")
    return lines


def render(evaluation: dict[str, Any], review: bool = False) -> str:
    from nerspec.kinds import kind_of

    kind = kind_of(evaluation["kind"])
    ci = evaluation.get("ci", {})
    level = int(round(100 * ci.get("level", 0.95)))
    lines = _overall(evaluation, level)
    lines += _calibration_and_changes(evaluation, kind.result_key)
    lines += _per_label(evaluation, kind.label_noun, level)
    lines += _per_language(evaluation, kind.label_noun)
    lines += _confusion(evaluation)
    lines += _partial(evaluation)
    lines += _sweep(evaluation)
    lines += _guidance(evaluation)
    lines += _review(evaluation, review)
    return "\n".join(lines)


def _overall(evaluation: dict[str, Any], level: int) -> list[str]:
    ci = evaluation.get("ci", {})
    test = evaluation.get("data", {}).get("test", {})
    lines = [f"{evaluation['kind']}: {test.get('documents', 0)} test documents", ""]
    micro, macro = evaluation["micro"], evaluation["macro"]
    rows = [["", "precision", "recall", "f1", f"f1 {level}% CI", "tp", "fp", "fn"],
            ["micro", _f(micro["precision"]), _f(micro["recall"]), _f(micro["f1"]), _ci(ci.get("micro", {}).get("f1")),
             str(micro["tp"]), str(micro["fp"]), str(micro["fn"])],
            ["macro", _f(macro["precision"]), _f(macro["recall"]), _f(macro["f1"]), "", "", "", ""]]
    lines += _table(rows)
    mci = ci.get("micro", {})
    if mci:
        lines.append(f"micro precision CI {_ci(mci.get('precision'))}, recall CI {_ci(mci.get('recall'))} "
                     f"({ci.get('resamples')} document resamples, seed {ci.get('seed')})")
    return lines


def _per_label(evaluation: dict[str, Any], unit: str, level: int) -> list[str]:
    from nerspec.evaluate import per_label

    ci = evaluation.get("ci", {})
    labels = per_label(evaluation)
    lines = ["", f"Per {unit}:"]
    rows = [[unit, "precision", "recall", "f1", f"f1 {level}% CI", "tp", "fp", "fn", "support"]]
    for name, s in labels.items():
        rows.append([name, _f(s["precision"]), _f(s["recall"]), _f(s["f1"]), _ci(ci.get("per_label_f1", {}).get(name)),
                     str(s["tp"]), str(s["fp"]), str(s["fn"]), str(s["support"])])
    return lines + (_table(rows) if labels else ["  (nothing tagged or predicted)"])


def _per_language(evaluation: dict[str, Any], unit: str) -> list[str]:
    languages = evaluation.get("per_language") or {}
    if not languages:
        return []
    lines = ["", "Per language:"]
    rows = [["language", "documents", "support", "precision", "recall", "f1", f"f1 per {unit}"]]
    for code, r in languages.items():
        m = r["micro"]
        per = ", ".join(f"{name} {_f(v['f1'])}" for name, v in (r.get("per_label") or {}).items())
        rows.append([code, str(r["documents"]), str(r["support"]), _f(m["precision"]), _f(m["recall"]),
                     _f(m["f1"]), per])
    return lines + _table(rows, right={1, 2, 3, 4, 5})


def _confusion(evaluation: dict[str, Any]) -> list[str]:
    cm = evaluation.get("confusion_matrix")
    if not (cm and len(cm["labels"]) > 1):
        return []
    lines = ["", "Confusion matrix (rows: gold, columns: predicted):"]
    rows = [["gold \\ predicted", *cm["labels"]]]
    rows += [[name, *(str(v) for v in row)] for name, row in zip(cm["labels"], cm["matrix"])]
    lines += _table(rows)
    boundary = cm.get("boundary_errors") or {}
    if boundary:
        shown = ", ".join(f"{k} {v}" for k, v in boundary.items())
        lines.append(f"Boundary errors (same type, overlapping span; each is one {NONE} miss and one {NONE} "
                     f"spurious above): {shown}")
    if cm.get("pairing") in PAIRING_NOTES:
        lines.append(PAIRING_NOTES[cm["pairing"]])
    return lines


def _partial(evaluation: dict[str, Any]) -> list[str]:
    partial = evaluation.get("partial")
    if not partial:
        return []
    rows = [["scheme", "correct", "incorrect", "partial", "missed", "spurious", "precision", "recall", "f1"]]
    for scheme, s in partial.items():
        rows.append([scheme, *(str(s[k]) for k in ("correct", "incorrect", "partial", "missed", "spurious")),
                     _f(s["precision"]), _f(s["recall"]), _f(s["f1"])])
    return ["", "SemEval-2013 partial credit:", *_table(rows)]


def _sweep(evaluation: dict[str, Any]) -> list[str]:
    sweep = evaluation.get("threshold_sweep")
    if not sweep:
        return []
    rows = [["threshold", "precision", "recall", "f1"]]
    rows += [[f"{s['threshold']:.1f}", _f(s["precision"]), _f(s["recall"]), _f(s["f1"])] for s in sweep]
    return ["", f"Threshold sweep (current threshold {evaluation.get('threshold')}):", *_table(rows)]


def _guidance(evaluation: dict[str, Any]) -> list[str]:
    guidance = evaluation.get("guidance") or []
    lines = ["", "Guidance:" if guidance else "Guidance: nothing to report"]
    for g in guidance:
        mark = "!" if g["severity"] == "warning" else "-"
        lines.append(f"  {mark} [{g['code']}] {g['message']}")
    return lines


def _review(evaluation: dict[str, Any], review: bool) -> list[str]:
    docs = evaluation.get("documents") or []
    if not review:
        if not docs:
            return []
        mismatched = sum(1 for d in docs if d.get("mismatch"))
        return ["", f"{mismatched} of {len(docs)} test documents have mismatches (--mismatches-only to review them)"]
    shown_docs = [d for d in docs if d.get("mismatch")]
    lines = ["", f"Review: {len(shown_docs)} document{'s' if len(shown_docs) != 1 else ''} with mismatches"]
    for d in shown_docs:
        lines.append(f"  {d['id']}: {_excerpt(d['text'])}")
        for side, items in (("gold", d["gold"]), ("predicted", d["predicted"])):
            for item in items:
                where = f" {item['text']!r} [{item['start']}:{item['end']}]" if "start" in item else ""
                error = f"  ({item['error']})" if item.get("error") else ""
                lines.append(f"    {side:9} {item['status']} {item['label']}{where}{error}")
    return lines


def _excerpt(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
