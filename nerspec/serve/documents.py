"""What the analyze paths take and give per document: the request's documents (JSON as sent) and the results,
typed until the response is written (``DocumentResult.to_json``: the reference API's document object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from nerspec.predictions import Prediction, PredictionJSON, to_json


class DocumentJSON(TypedDict):
    """A document of a request (native endpoint or jobs API), as validated by its pydantic model."""

    id: str
    text: str
    language: NotRequired[str | None]


class WarningJSON(TypedDict):
    code: str
    message: str


class DocumentResultJSON(TypedDict, total=False):
    id: str
    entities: list[PredictionJSON]
    classes: list[PredictionJSON]
    warnings: list[WarningJSON]
    modelFingerprint: str
    statistics: dict[str, int]


@dataclass
class DocumentResult:
    """One analysed document: its predictions (offsets in the unit the client asked for) under ``key``
    (``entities`` or ``classes``), its warnings, and, while a rollout is staged, the model that answered it."""

    id: str
    key: str
    predictions: Prediction
    warnings: list[WarningJSON] = field(default_factory=list)
    model_fingerprint: str | None = None

    def to_json(self) -> DocumentResultJSON:
        out: dict[str, object] = {"id": self.id, self.key: to_json(self.predictions), "warnings": self.warnings}
        if self.model_fingerprint is not None:
            out["modelFingerprint"] = self.model_fingerprint
        return out  # type: ignore[return-value]  # the key is the kind's result key: entities or classes
