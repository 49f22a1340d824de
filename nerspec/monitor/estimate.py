"""Precision without labels, from calibrated confidences (pure).

A calibrated confidence is the probability that the returned entity (class) is right, so the expected precision
of a window is the mean confidence of everything the model returned, micro over items (per type from
``MIN_ITEMS`` items). The interval adds two uncertainties: the window's own (a sum of Bernoulli trials, normal
approximation, 95%) and the calibration map's, which was fitted on finitely many items
(``nerspec.calibration.fit_uncertainty``). The estimate is marked unreliable when the model has no calibration
(raw scores are not probabilities), when the window drifted (the map was fitted and checked on data like the
test split, not on this), or when there are too few items.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from nerspec.monitor.model import Compared, Estimate, LabelEstimate
from nerspec.monitor.reference import Evaluation, Reference, section
from nerspec.state.monitoring import MonitoredDocument

MIN_ITEMS = 30
Z95 = 1.96


def fit_uncertainty(fitted_items: int) -> float:
    return 0.5 / math.sqrt(fitted_items) if fitted_items > 0 else 0.0


def precision_interval(confidences: list[float], fitted_items: int) -> tuple[float, tuple[float, float]]:
    n = len(confidences)
    mean = sum(confidences) / n
    spread = Z95 * math.sqrt(sum(p * (1.0 - p) for p in confidences)) / n + fit_uncertainty(fitted_items)
    return round(mean, 4), (round(max(0.0, mean - spread), 4), round(min(1.0, mean + spread), 4))


def calibration_of(evaluation: Evaluation | None) -> tuple[bool, int]:
    """(whether the model's confidences are calibrated, how many items the map was fitted on)."""
    calibration = section(evaluation, "calibration")
    method = calibration.get("method", "none")
    fitted = calibration.get("fitted_items")
    return method not in (None, "none"), int(fitted) if isinstance(fitted, (int, float)) else 0


def estimate(window: list[MonitoredDocument], *, calibrated: bool, fitted_items: int, drifted: bool) -> Estimate:
    confidences = [p.confidence for d in window for p in d.predictions]
    reasons = []
    if not calibrated:
        reasons.append("the model has no calibration: its confidences are raw scores, not probabilities")
    if drifted:
        reasons.append("the window drifted from the test split, beyond the data the calibration was fitted and "
                       "checked on")
    if len(confidences) < MIN_ITEMS:
        reasons.append(f"only {len(confidences)} predictions (fewer than {MIN_ITEMS})")
    if not confidences:
        return Estimate(None, None, len(window), 0, False, reasons)
    precision, interval = precision_interval(confidences, fitted_items)
    by_label: dict[str, list[float]] = defaultdict(list)
    for d in window:
        for p in d.predictions:
            by_label[p.label].append(p.confidence)
    per_label = [LabelEstimate(label, *precision_interval(values, fitted_items), len(values))
                 for label, values in sorted(by_label.items()) if len(values) >= MIN_ITEMS]
    return Estimate(precision, interval, len(window), len(confidences), not reasons, reasons, per_label)


def compared(evaluation: Evaluation, reference: Reference | Mapping[str, object] | None, per_label_key: str,
             window: list[MonitoredDocument]) -> Compared:
    """The test split's measured and estimated precision and mean confidence, beside the window's."""
    if reference is not None and not isinstance(reference, Reference):
        reference = Reference.from_json(reference)
    confidences = reference.confidences if reference is not None else []
    mean = round(sum(confidences) / len(confidences), 4) if confidences else None
    window_items = [p.confidence for d in window for p in d.predictions]
    per_label = {str(label): float(row["precision"]) for label, row in section(evaluation, per_label_key).items()
                 if isinstance(row, dict) and isinstance(row.get("precision"), (int, float))}
    micro = section(evaluation, "micro").get("precision")
    return Compared(
        documents=reference.documents if reference is not None else 0,
        measured_precision=round(float(micro), 4) if isinstance(micro, (int, float)) else None,
        estimated_precision=mean,
        mean_confidence=mean,
        per_label_precision=per_label,
        window_mean_confidence=round(sum(window_items) / len(window_items), 4) if window_items else None,
    )
