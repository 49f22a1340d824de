"""Plain-text rendering of an Evaluation JSON for the terminal (the command prints what this returns)."""

from __future__ import annotations

from nerspec.evaluate.record import Evaluation, Number, Scores
from nerspec.metrics.confusion import NONE, PAIRING_NOTES
from nerspec.numbers import metric_text


def _f(value: Number | None) -> str:
    return metric_text(value or 0.0)


def _ci(interval: list[Number] | None) -> str:
    return f"[{_f(interval[0])}, {_f(interval[1])}]" if interval else ""


def _objects(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _table(rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = right if right is not None else set(range(1, len(widths)))
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _calibration_and_changes(evaluation: Evaluation, items: str) -> list[str]:
    lines = []
    calibration = evaluation.calibration
    if calibration is not None and calibration.ece is not None:
        noise = calibration.sampling_noise
        floor = f"; a perfectly calibrated model would show ~{_f(noise)} on as many" if noise is not None else ""
        fitted = f" fitted on {calibration.fitted_items}" if calibration.fitted_items else ""
        # Multi-label per-class calibration is measured over every (document, class) pair, returned or not.
        what = "(document, class) pairs" if calibration.per_class is not None else f"predicted {items}"
        lines.append(f"calibration: ECE {_f(calibration.ece)} over {calibration.items or 0} {what} "
                     f"({calibration.method or 'none'}{fitted}{floor})")
    changes = evaluation.changes
    if changes is not None:
        against = changes.against.get("deployment", "the deployed model")
        lines.append(f"vs {against}: {changes.newly_wrong} test documents newly wrong, "
                     f"{changes.newly_right} newly right")
        for doc in changes.documents[:10]:
            lines.append(f"  {doc.change}: {doc.id}")
    return lines


def render(evaluation: Evaluation, review: bool = False) -> str:
    from nerspec.kinds import kind_of

    kind = kind_of(evaluation.kind)
    level = int(round(100 * (evaluation.ci.level if evaluation.ci.level is not None else 0.95)))
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


def _prf(s: Scores) -> list[str]:
    return [_f(s.precision), _f(s.recall), _f(s.f1)]


def _overall(evaluation: Evaluation, level: int) -> list[str]:
    ci = evaluation.ci
    test = evaluation.data.test
    lines = [f"{evaluation.kind}: {test.documents if test else 0} test documents", ""]
    micro, macro = evaluation.micro, evaluation.macro
    rows = [["", "precision", "recall", "f1", f"f1 {level}% CI", "tp", "fp", "fn"],
            ["micro", *_prf(micro), _ci(ci.micro.get("f1")), str(micro.tp), str(micro.fp), str(micro.fn)],
            ["macro", *_prf(macro), "", "", "", ""]]
    lines += _table(rows)
    mci = ci.micro
    if mci:
        lines.append(f"micro precision CI {_ci(mci.get('precision'))}, recall CI {_ci(mci.get('recall'))} "
                     f"({ci.resamples} document resamples, seed {ci.seed})")
    return lines


def _per_label(evaluation: Evaluation, unit: str, level: int) -> list[str]:
    ci = evaluation.ci
    labels = evaluation.per_label()
    lines = ["", f"Per {unit}:"]
    rows = [[unit, "precision", "recall", "f1", f"f1 {level}% CI", "tp", "fp", "fn", "support"]]
    for name, s in labels.items():
        rows.append([name, *_prf(s), _ci(ci.per_label_f1.get(name)), str(s.tp), str(s.fp), str(s.fn), str(s.support)])
    return lines + (_table(rows) if labels else ["  (nothing tagged or predicted)"])


def _per_language(evaluation: Evaluation, unit: str) -> list[str]:
    languages = evaluation.per_language or {}
    if not languages:
        return []
    lines = ["", "Per language:"]
    rows = [["language", "documents", "support", "precision", "recall", "f1", f"f1 per {unit}"]]
    for code, r in languages.items():
        per = ", ".join(f"{name} {_f(v.f1)}" for name, v in r.per_label.items())
        rows.append([code, str(r.documents), str(r.support), *_prf(r.micro), per])
    return lines + _table(rows, right={1, 2, 3, 4, 5})


def _confusion(evaluation: Evaluation) -> list[str]:
    cm = evaluation.confusion_matrix
    if not (cm and len(cm.labels) > 1):
        return []
    lines = ["", "Confusion matrix (rows: gold, columns: predicted):"]
    rows = [["gold \\ predicted", *cm.labels]]
    rows += [[name, *(str(v) for v in row)] for name, row in zip(cm.labels, cm.matrix)]
    lines += _table(rows)
    if cm.boundary_errors:
        shown = ", ".join(f"{k} {v}" for k, v in cm.boundary_errors.items())
        lines.append(f"Boundary errors (same type, overlapping span; each is one {NONE} miss and one {NONE} "
                     f"spurious above): {shown}")
    if cm.pairing is not None and cm.pairing in PAIRING_NOTES:
        lines.append(PAIRING_NOTES[cm.pairing])
    return lines


def _partial(evaluation: Evaluation) -> list[str]:
    partial = evaluation.partial
    if not partial:
        return []
    rows = [["scheme", "correct", "incorrect", "partial", "missed", "spurious", "precision", "recall", "f1"]]
    for scheme, s in partial.items():
        rows.append([scheme, *(str(s[k]) for k in ("correct", "incorrect", "partial", "missed", "spurious")),
                     _f(s["precision"]), _f(s["recall"]), _f(s["f1"])])
    return ["", "SemEval-2013 partial credit:", *_table(rows)]


def _sweep(evaluation: Evaluation) -> list[str]:
    sweep = evaluation.threshold_sweep
    if not sweep:
        return []
    rows = [["threshold", "precision", "recall", "f1"]]
    rows += [[f"{s['threshold']:.1f}", _f(s["precision"]), _f(s["recall"]), _f(s["f1"])] for s in sweep]
    return ["", f"Threshold sweep (current threshold {evaluation.threshold}):", *_table(rows)]


def _guidance(evaluation: Evaluation) -> list[str]:
    guidance = evaluation.guidance
    lines = ["", "Guidance:" if guidance else "Guidance: nothing to report"]
    for g in guidance:
        mark = "!" if g.severity == "warning" else "-"
        lines.append(f"  {mark} [{g.code}] {g.message}")
    return lines


def _review(evaluation: Evaluation, review: bool) -> list[str]:
    docs = evaluation.documents
    if not review:
        if not docs:
            return []
        mismatched = sum(1 for d in docs if d.get("mismatch"))
        return ["", f"{mismatched} of {len(docs)} test documents have mismatches (--mismatches-only to review them)"]
    shown_docs = [d for d in docs if d.get("mismatch")]
    lines = ["", f"Review: {len(shown_docs)} document{'s' if len(shown_docs) != 1 else ''} with mismatches"]
    for d in shown_docs:
        lines.append(f"  {d['id']}: {_excerpt(str(d['text']))}")
        for side in ("gold", "predicted"):
            for item in _objects(d[side]):
                where = f" {item['text']!r} [{item['start']}:{item['end']}]" if "start" in item else ""
                error = f"  ({item['error']})" if item.get("error") else ""
                lines.append(f"    {side:9} {item['status']} {item['label']}{where}{error}")
    return lines


def _excerpt(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
