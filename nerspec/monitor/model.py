"""What ``nerspec monitor`` reports: typed records and their JSON (``monitor --json``, the report's Production section)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

Summary = float | dict[str, float] | None  # a median, a mean or a distribution (None: no values)


@dataclass(frozen=True)
class Signal:
    """One drift signal: a two-sample test of the window against the test split, and an effect size."""

    name: str  # length | unseen_words | languages | labels | mean_confidence
    test: str  # ks | chi_square | welch_z
    statistic: float
    p_value: float
    effect: float  # KS D, total variation distance, or the difference of the means
    min_effect: float  # the smallest effect the rule counts as drift
    window: Summary  # a summary of the window (median length, share, distribution, mean)
    reference: Summary  # the same summary of the test split
    drifted: bool
    note: str = ""


@dataclass(frozen=True)
class Drift:
    drifted: bool
    score: float  # the largest effect relative to its minimum (>= 1 for a drifted signal)
    signals: list[Signal]
    rule: str


@dataclass(frozen=True)
class LabelEstimate:
    label: str
    precision: float
    interval: tuple[float, float]
    items: int


@dataclass(frozen=True)
class Estimate:
    """Precision estimated without labels: the mean calibrated confidence of what the model returned."""

    precision: float | None
    interval: tuple[float, float] | None
    documents: int
    items: int
    reliable: bool
    reasons: list[str]  # why it is not reliable (empty when it is)
    per_label: list[LabelEstimate] = field(default_factory=list)


@dataclass(frozen=True)
class Compared:
    """The test split at training (evaluation) time, beside the window."""

    documents: int
    measured_precision: float | None
    estimated_precision: float | None  # the same estimator on the test split's confidences
    mean_confidence: float | None
    per_label_precision: dict[str, float]
    window_mean_confidence: float | None


@dataclass(frozen=True)
class Point:
    """One bucket of the timeline (the report's chart)."""

    start: str
    documents: int
    estimated_precision: float | None  # micro over the bucket's predictions
    interval: tuple[float, float] | None
    mean_confidence: float | None  # the mean over documents of each one's mean confidence


@dataclass(frozen=True)
class Window:
    start: str | None
    end: str | None
    documents: int
    other_models: int  # logged documents in the window served by another model (not analysed)


@dataclass(frozen=True)
class MonitorResult:
    project: str
    deployment: str
    fingerprint: str
    window: Window
    drift: Drift | None  # None: no reference statistics for this model
    estimated: Estimate
    compared: Compared | None
    timeline: list[Point]
    alerts: list[str]
    notes: list[str]

    def to_json(self) -> dict[str, object]:
        """The result as JSON values (intervals as lists, as they are written), so a run result can hold it."""
        return {key: _json_value(value) for key, value in asdict(self).items()}


def _json_value(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value
