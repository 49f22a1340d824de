"""Predictions: what the one prediction path (``nerspec.predict.Predictor.analyze``) returns per text, and what
evaluate, serve, extract, label and monitor read (``docs/architecture.md``, "Predictions").

A text's prediction is a list of ``PredictedLabel``: an entity (code-point ``offset``/``length`` and the covered
``text``) or a class (no span). ``to_json``/``from_json`` are the one JSON boundary: the serve API, the jobs API and
extract output lines write ``to_json``'s objects, key order included, so the bytes on the wire never depend on
the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NotRequired, TypedDict


class PredictionJSON(TypedDict):
    """One entity (``offset``, ``length``, ``text``) or class, as it is written out."""

    category: str
    offset: NotRequired[int]
    length: NotRequired[int]
    text: NotRequired[str]
    confidenceScore: float


@dataclass(frozen=True, slots=True)
class PredictedLabel:
    """One predicted entity or class; ``confidence`` is the (calibrated) ``confidenceScore``."""

    category: str
    confidence: float
    offset: int | None = None  # entities only: code points unless a serve edge converted them
    length: int | None = None
    text: str | None = None

    @property
    def is_entity(self) -> bool:
        return self.offset is not None

    @property
    def start(self) -> int:
        """The entity's first code point (0 for a class)."""
        return self.offset or 0

    @property
    def end(self) -> int:
        return self.start + (self.length or 0)

    def shifted(self, by: int) -> PredictedLabel:
        """The entity ``by`` code points further on (a piece's entity placed back in its whole text)."""
        return replace(self, offset=self.start + by) if by and self.is_entity else self

    def to_json(self) -> PredictionJSON:
        if self.offset is None:
            return {"category": self.category, "confidenceScore": self.confidence}
        return {"category": self.category, "offset": self.offset, "length": self.length or 0,
                "text": self.text or "", "confidenceScore": self.confidence}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> PredictedLabel:
        """Read one written entity or class back (``ValueError``/``KeyError`` on a malformed one)."""
        score = raw.get("confidenceScore", 0.0)
        offset, length, text = raw.get("offset"), raw.get("length"), raw.get("text")
        return cls(
            str(raw["category"]),
            float(score) if isinstance(score, (int, float)) else 0.0,
            int(offset) if isinstance(offset, int) else None,
            int(length) if isinstance(length, int) else None,
            str(text) if isinstance(text, str) else None,
        )


Prediction = list[PredictedLabel]  # one text's entities or classes, in the model's order


def to_json(prediction: Iterable[PredictedLabel]) -> list[PredictionJSON]:
    return [item.to_json() for item in prediction]


def from_json(items: Iterable[Mapping[str, object]]) -> Prediction:
    return [PredictedLabel.from_json(item) for item in items]
