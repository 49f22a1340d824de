"""Per-class calibration of multi-label classification scores, and the decision made on it.

A multi-label model has one sigmoid per class: each is a logistic regression of its own, trained with few
positives, and its raw output is not a probability. A short schedule leaves the logits small (the ranking
is right long before the magnitudes are), so a fixed threshold on raw scores misses true classes: on separable
keyword data every positive ranked above every negative (dev AUC 1.0) while micro F1 at raw 0.5 stayed at 0.82
(docs/defaults.md). So each class gets its own monotone map, fitted on held-out (raw score, has the class)
items of every document (the dev carve, or cross-fitted scores; ``nerspec.train.calibrate``): Platt scaling
below ``ISOTONIC_MIN_ITEMS`` items, isotonic from there on, exactly as NER's map (``nerspec.calibration``).

The decision uses the calibrated probability: a class is returned when ``P(class | text) >= threshold``.
Each map is monotone, so this is a per-class threshold on the raw score, and the returned ``confidenceScore``
is the number the decision was made on: predict, serve and evaluate (all ``Predictor.analyze``) agree.

ECE of a multi-label model is measured over every (document, class) pair, not only the returned classes: a
class scored 0.3 should apply three times in ten too. ``per_class_reliability`` reports it per class and pooled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from nerspec.calibration import Calibration, Outcome, Reliability, fit_calibration, reliability

PER_CLASS = "per-class"


@dataclass(frozen=True)
class ClassCalibration:
    """One ``Calibration`` per class; a class without a map keeps its raw score."""

    maps: dict[str, Calibration] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)  # where the maps were fitted

    @property
    def method(self) -> str:
        return PER_CLASS if self.fitted else "none"

    @property
    def fitted(self) -> bool:
        return any(m.method != "none" for m in self.maps.values())

    @property
    def items(self) -> int:
        return max((m.items for m in self.maps.values()), default=0)

    def __call__(self, cats: Mapping[str, float]) -> dict[str, float]:
        """Calibrated probabilities of every class (raw where a class has no map)."""
        out: dict[str, float] = {}
        for label, raw in cats.items():
            fitted = self.maps.get(label)
            out[label] = float(fitted(float(raw))) if fitted is not None else float(raw)
        return out

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "fitted_on": "dev", "items": self.items}
        # Where the maps were fitted is said once, for all of them.
        out["classes"] = {label: _without_origin(m.to_json()) for label, m in sorted(self.maps.items())}
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: object) -> ClassCalibration | None:
        """The per-class block of ``meta.json``; ``None`` for anything else (an older artifact's pooled map)."""
        if not isinstance(data, dict) or data.get("method") != PER_CLASS or not isinstance(data.get("classes"), dict):
            return None
        maps = {str(label): Calibration.from_json(block) for label, block in data["classes"].items()}
        extra: dict[str, object] = {"fitted_on": data["fitted_on"]} if isinstance(data.get("fitted_on"), str) else {}
        return cls(maps, extra)


def _without_origin(block: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in block.items() if k != "fitted_on"}


def class_items(gold: Sequence[Sequence[str]], scores: Sequence[Mapping[str, float]]) -> dict[str, list[Outcome]]:
    """Per class: (score, the document has the class) for every document."""
    items: dict[str, list[Outcome]] = {}
    for labels, row in zip(gold, scores, strict=True):
        on = set(labels)
        for label, score in row.items():
            items.setdefault(label, []).append((float(score), label in on))
    return items


def fit_per_class(gold: Sequence[Sequence[str]], raw: Sequence[Mapping[str, float]]) -> ClassCalibration:
    """Each class's map on its held-out items (Platt or isotonic by count, as ``fit_calibration`` chooses)."""
    return ClassCalibration({label: fit_calibration(items) for label, items in class_items(gold, raw).items()})


class ClassReliability(TypedDict):
    ece: float | None
    sampling_noise: float | None
    items: int


class PerClassReliability(Reliability):
    per_class: dict[str, ClassReliability]


def per_class_reliability(gold: Sequence[Sequence[str]], scores: Sequence[Mapping[str, float]]) -> PerClassReliability:
    """Pooled reliability over every (document, class) pair, plus ``per_class``: each class's ECE and items."""
    items = class_items(gold, scores)
    pooled = reliability(outcome for label in sorted(items) for outcome in items[label])
    per_class: dict[str, ClassReliability] = {}
    for label in sorted(items):
        one = reliability(items[label])
        per_class[label] = {"ece": one["ece"], "sampling_noise": one["sampling_noise"], "items": one["items"]}
    return {"ece": pooled["ece"], "sampling_noise": pooled["sampling_noise"], "items": pooled["items"],
            "bins": pooled["bins"], "per_class": per_class}
