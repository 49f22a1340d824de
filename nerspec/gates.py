"""Quality gates: a pure function of evaluation JSON (and a baseline's) and the manifest's gates.

Every gate yields one ``GateResult`` whether it passes or not, so reports show the margin of passing gates too.
A gate that cannot apply yet (a regression gate before anything is deployed) is still reported, as a passing
result marked ``skipped``: a configured gate silently missing from the report reads as "not configured".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from nerspec.evaluate.record import Evaluation, JsonObject, LanguageScores, Scores
from nerspec.manifest.gates import ClassificationGates, LabelGate, LanguageGate, NERGates, Threshold
from nerspec.numbers import metric_text
from nerspec.run_record import GateRow, GatesSummary

EPSILON = 1e-9

# (metric, label) -> p-value of "the candidate is worse than the baseline" from a paired bootstrap.
SignificanceTest = Callable[[str, str | None], float | None]


@dataclass(frozen=True)
class GateResult:
    name: str  # where the gate lives in the manifest, e.g. ``per_entity.PER.f1``, ``regression.micro_f1``
    metric: str
    label: str | None
    threshold: float
    value: float | None
    baseline: float | None
    passed: bool
    message: str
    skipped: bool = False  # not evaluated (nothing to compare with); always passed=True

    def to_json(self) -> JsonObject:
        data: JsonObject = asdict(self)
        # Only skipped results carry the key, so every other result keeps the documented run-result shape.
        if not self.skipped:
            del data["skipped"]
        return data

    def to_row(self) -> GateRow:
        return GateRow.from_json(self.to_json())


def _absolute(name: str, metric: str, label: str | None, gate: Threshold, value: float | None) -> GateResult:
    shown = f"{name} [{label}]" if label is not None else name
    if value is None:
        return GateResult(name, metric, label, gate.min, None, None, False, f"{shown}: no value (min {metric_text(gate.min)})")
    passed = value + EPSILON >= gate.min
    verb = ">=" if passed else "<"
    return GateResult(name, metric, label, gate.min, value, None, passed, f"{shown} = {metric_text(value)} {verb} min {metric_text(gate.min)}")


def evaluate_gates(
    kind: str,
    labels: list[str],
    gates: NERGates | ClassificationGates,
    evaluation: Evaluation,
    baseline: Evaluation | None = None,
    significance_test: SignificanceTest | None = None,
) -> list[GateResult]:
    results: list[GateResult] = []
    for scope in ("micro", "macro"):
        for stat in ("precision", "recall", "f1"):
            gate = getattr(gates, f"{scope}_{stat}")
            if gate is not None:
                value = getattr(_scores(evaluation, scope), stat)
                results.append(_absolute(f"{scope}_{stat}", f"{scope}_{stat}", None, gate, value))
    results.extend(_label_gates(kind, labels, gates.per_label, evaluation))
    results.extend(_language_gates(gates.per_language, evaluation))
    if gates.calibration is not None:
        results.append(_calibration(gates.calibration.max_ece, evaluation))
    if gates.regression is not None:
        results.extend(_regression(labels, gates, evaluation, baseline, significance_test))
    return results


def _scores(evaluation: Evaluation | LanguageScores, scope: str) -> Scores:
    return evaluation.micro if scope == "micro" else evaluation.macro


def _calibration(max_ece: float, evaluation: Evaluation) -> GateResult:
    """``calibration.max_ece``: the test split's expected calibration error (``nerspec.calibration``)."""
    ece = evaluation.calibration.ece if evaluation.calibration is not None else None
    if ece is None:
        return GateResult("calibration.max_ece", "ece", None, max_ece, None, None, False,
                          f"calibration ECE: no value (no confidence scores on the test split; max {metric_text(max_ece)})")
    passed = ece <= max_ece + EPSILON
    verb = "<=" if passed else ">"
    return GateResult("calibration.max_ece", "ece", None, max_ece, ece, None, passed,
                      f"calibration ECE = {metric_text(ece)} {verb} max {metric_text(max_ece)}")


def _label_gates(
    kind: str, labels: list[str], per_label_gates: dict[str, LabelGate], evaluation: Evaluation
) -> list[GateResult]:
    from nerspec.kinds import KINDS

    known = KINDS.get(kind)
    field = known.per_label_key if known is not None else "per_label"
    scores = evaluation.per_label()
    default = per_label_gates.get("*")
    results = []
    for label in labels:
        explicit = label in per_label_gates
        gate = per_label_gates.get(label, default)
        if gate is None:
            continue
        for stat in ("precision", "recall", "f1"):
            threshold: Threshold | None = getattr(gate, stat)
            if threshold is None:
                continue
            name = f"{field}.{label if explicit else '*'}.{stat}"
            row = scores.get(label)
            if row is None or not (row.support or row.tp or row.fn or row.fp):
                # A label absent from the test set cannot be measured: a gate naming it fails (it asked for
                # evidence), the "*" default only notes it (the guidance already warns about missing labels).
                message = f"{name} [{label}]: no test instances"
                results.append(GateResult(name, stat, label, threshold.min, None, None, not explicit, message))
                continue
            results.append(_absolute(name, stat, label, threshold, getattr(row, stat)))
    return results


def _language_gates(per_language_gates: dict[str, LanguageGate], evaluation: Evaluation) -> list[GateResult]:
    """``per_language.<code>.<metric>`` against ``per_language`` of the evaluation. A language with no test
    documents fails its gate: the gate asked for evidence that is not there."""
    from nerspec.languages import normalize

    scored = {normalize(k): v for k, v in (evaluation.per_language or {}).items()}
    results = []
    for code, gate in per_language_gates.items():
        row = scored.get(normalize(code))
        for metric in ("micro_precision", "micro_recall", "micro_f1", "macro_f1"):
            threshold: Threshold | None = getattr(gate, metric)
            if threshold is None:
                continue
            name = f"per_language.{code}.{metric}"
            if row is None or not row.documents:
                results.append(GateResult(name, metric, None, threshold.min, None, None, False,
                                          f"{name}: no test documents in {code}"))
                continue
            scope, stat = metric.split("_", 1)
            results.append(_absolute(name, metric, None, threshold, getattr(_scores(row, scope), stat)))
    return results


def _regression(
    labels: list[str],
    gates: NERGates | ClassificationGates,
    evaluation: Evaluation,
    baseline: Evaluation | None,
    significance_test: SignificanceTest | None,
) -> list[GateResult]:
    regression = gates.regression
    assert regression is not None
    drop = regression.max_drop
    if baseline is None:
        # Nothing deployed yet in the baseline deployment: the first model has nothing to regress from. The gates
        # still appear (passing, marked skipped) so a reviewer sees they exist and why they did not apply.
        message = f"skipped: no model deployed in `{regression.against}` yet"
        configured = [
            ("regression.micro_f1", "micro_f1", drop.micro_f1),
            ("regression.macro_f1", "macro_f1", drop.macro_f1),
            ("regression.per_label_f1", "f1", drop.per_label_f1),
        ]
        return [
            GateResult(name, metric, None, max_drop, None, None, True, message, skipped=True)
            for name, metric, max_drop in configured
            if max_drop is not None
        ]
    checks: list[tuple[str, str, str | None, float, float | None, float | None]] = []
    if drop.micro_f1 is not None:
        checks.append(("regression.micro_f1", "micro_f1", None, drop.micro_f1,
                       evaluation.micro.f1, baseline.micro.f1))
    if drop.macro_f1 is not None:
        checks.append(("regression.macro_f1", "macro_f1", None, drop.macro_f1,
                       evaluation.macro.f1, baseline.macro.f1))
    if drop.per_label_f1 is not None:
        now, before = evaluation.per_label(), baseline.per_label()
        for name in labels:
            if name in before:
                value = now[name].f1 if name in now else 0.0
                checks.append((f"regression.per_label_f1[{name}]", "f1", name, drop.per_label_f1, value, before[name].f1))
    results = []
    for name, metric, label, max_drop, value, base in checks:
        if value is None or base is None:
            results.append(GateResult(name, metric, label, max_drop, value, base, False, f"{name}: missing score"))
            continue
        dropped = base - value
        passed = dropped <= max_drop + EPSILON
        message = drop_message(metric if label is None else f"{label} f1", base, value, max_drop, regression.against)
        if not passed and regression.significance is not None:
            p_value = significance_test(metric, label) if significance_test is not None else None
            if p_value is None:
                message += "; significance not computed, failing"
            elif p_value >= regression.significance:
                passed = True
                message += f"; not significant (p = {metric_text(p_value)} >= {regression.significance})"
            else:
                message += f"; significant (p = {metric_text(p_value)} < {regression.significance})"
        results.append(GateResult(name, metric, label, max_drop, value, base, passed, message))
    return results


def drop_message(what: str, base: float, value: float, max_drop: float, against: str) -> str:
    """A regression gate in words: a drop against a baseline, never "value X, threshold Y"."""
    dropped = base - value
    if dropped <= EPSILON:
        change = "unchanged" if abs(dropped) <= EPSILON else f"rose {metric_text(-dropped)}"
        return f"{what} {change} ({metric_text(base)} -> {metric_text(value)}) against {against}"
    verdict = "more than" if dropped > max_drop + EPSILON else "within"
    return f"{what} dropped {metric_text(dropped)} ({metric_text(base)} -> {metric_text(value)}) against {against}, {verdict} the allowed {metric_text(max_drop)}"


def summary(results: list[GateResult]) -> GatesSummary:
    return GatesSummary(passed=all(r.passed for r in results), results=[r.to_row() for r in results])


def failures_message(project: str, results: list[GateResult]) -> str:
    failed = [r for r in results if not r.passed]
    lines = [f"{project}: {len(failed)} gate{'s' if len(failed) != 1 else ''} failed; nothing deployed"]
    # Each message already says the value against what was required (a minimum, or a drop against a baseline).
    lines.extend(f"  - {r.message}" for r in failed)
    return "\n".join(lines)
