"""One window of a deployment's logged documents -> drift, estimate, comparison, timeline and alerts (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerspec.monitor.drift import drift
from nerspec.monitor.estimate import calibration_of, compared, estimate, precision_interval
from nerspec.monitor.model import MonitorResult, Point, Window
from nerspec.monitor.reference import Evaluation, reference_of
from nerspec.state.monitoring import MonitoredDocument

if TYPE_CHECKING:
    from nerspec.manifest.schema import MonitoringAlert

TIMELINE_POINTS = 20


@dataclass(frozen=True)
class Inputs:
    """Everything the analysis reads, gathered by ``nerspec.monitor.run`` (the I/O edge)."""

    project: str
    deployment: str
    fingerprint: str  # the model the deployment serves now: the window is its documents
    language: str  # the project's, for documents logged without one
    per_label_key: str
    documents: list[MonitoredDocument]  # the window, every model
    evaluation: Evaluation | None  # the served model's Evaluation JSON (with ``reference``)
    alert: MonitoringAlert | None


def iso_time(at: float) -> str:
    from datetime import UTC, datetime

    from nerspec.timestamps import utc_timestamp

    return utc_timestamp(datetime.fromtimestamp(at, UTC))


def timeline(documents: list[MonitoredDocument], fitted_items: int, points: int = TIMELINE_POINTS) -> list[Point]:
    """The window cut into up to ``points`` equal spans of time: volume, estimated precision, mean confidence."""
    if not documents:
        return []
    first, last = documents[0].at, documents[-1].at
    width = max((last - first) / points, 1e-9)
    buckets: list[list[MonitoredDocument]] = [[] for _ in range(points)]
    for d in documents:
        buckets[min(int((d.at - first) / width), points - 1)].append(d)
    out = []
    for index, bucket in enumerate(buckets):
        if not bucket:
            continue
        confidences = [p.confidence for d in bucket for p in d.predictions]
        per_document = [sum(p.confidence for p in d.predictions) / len(d.predictions) for d in bucket if d.predictions]
        mean = round(sum(per_document) / len(per_document), 4) if per_document else None
        precision, interval = precision_interval(confidences, fitted_items) if confidences else (None, None)
        out.append(Point(iso_time(first + index * width), len(bucket), precision, interval, mean))
    return out


def alerts(result: MonitorResult, alert: MonitoringAlert | None) -> list[str]:
    """The ``monitoring.alert`` thresholds the window crossed (``nerspec monitor`` exits 3 on any)."""
    if alert is None or result.window.documents < alert.min_documents:
        return []
    out = []
    if alert.drift and result.drift is not None and result.drift.drifted:
        names = ", ".join(s.name for s in result.drift.signals if s.drifted)
        out.append(f"drift: {names} drifted from the test split (score {result.drift.score})")
    precision = result.estimated.precision
    if alert.min_estimated_precision is not None and precision is not None and precision < alert.min_estimated_precision:
        out.append(f"estimated precision {precision:.3f} < min {alert.min_estimated_precision}")
    compared_ = result.compared
    if (alert.max_confidence_drop is not None and compared_ is not None and compared_.mean_confidence is not None
            and compared_.window_mean_confidence is not None):
        drop = compared_.mean_confidence - compared_.window_mean_confidence
        if drop > alert.max_confidence_drop:
            out.append(f"mean confidence dropped {drop:.3f} ({compared_.mean_confidence:.3f} -> "
                       f"{compared_.window_mean_confidence:.3f}), more than the allowed {alert.max_confidence_drop}")
    return out


def analyze(inputs: Inputs) -> MonitorResult:
    served = [d for d in inputs.documents if d.fingerprint == inputs.fingerprint]
    notes = []
    reference = reference_of(inputs.evaluation)
    if reference is None:
        notes.append(f"model {inputs.fingerprint[:12]} has no reference statistics (evaluated before nerspec "
                     "recorded them): no drift signals until a model evaluated by this nerspec is deployed")
    elif reference.unseen_shares is None:
        notes.append("the model records no training vocabulary (trained before nerspec did): no unseen-word signal")
    found = drift(served, reference, inputs.language) if reference is not None and served else None
    calibrated, fitted_items = calibration_of(inputs.evaluation)
    estimated = estimate(served, calibrated=calibrated, fitted_items=fitted_items,
                         drifted=bool(found and found.drifted))
    window = Window(iso_time(served[0].at) if served else None, iso_time(served[-1].at) if served else None, len(served),
                    len(inputs.documents) - len(served))
    if window.other_models:
        notes.append(f"{window.other_models} logged documents of the window were served by another model and are "
                     "left out")
    result = MonitorResult(
        project=inputs.project, deployment=inputs.deployment, fingerprint=inputs.fingerprint, window=window,
        drift=found, estimated=estimated,
        compared=compared(inputs.evaluation, reference, inputs.per_label_key, served) if inputs.evaluation else None,
        timeline=timeline(served, fitted_items), alerts=[], notes=notes,
    )
    from dataclasses import replace

    return replace(result, alerts=alerts(result, inputs.alert))
