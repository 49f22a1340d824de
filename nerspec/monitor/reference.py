"""The recorded Evaluation JSON as monitoring reads it: the test split's ``reference`` statistics
(``nerspec.evaluate.reference``), the calibration and the measured precision; JSON in, typed out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Evaluation = Mapping[str, object]  # a recorded Evaluation JSON


def numbers(value: object) -> list[float]:
    return [float(x) for x in value if isinstance(x, (int, float))] if isinstance(value, list) else []


def counts(value: object) -> dict[str, int]:
    return {str(k): int(v) for k, v in value.items() if isinstance(v, (int, float))} if isinstance(value, dict) else {}


def section(evaluation: Mapping[str, object] | None, key: str) -> Mapping[str, object]:
    found = (evaluation or {}).get(key)
    return found if isinstance(found, Mapping) else {}


@dataclass(frozen=True)
class Reference:
    """The test split as the model's reference: lengths, unseen-word shares (None: no vocabulary recorded),
    languages, predicted labels and confidences."""

    documents: int
    lengths: list[float]
    unseen_shares: list[float] | None
    languages: dict[str, int]
    labels: dict[str, int]
    confidences: list[float]

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Reference:
        shares = raw.get("unseen_shares")
        documents = raw.get("documents")
        return cls(int(documents) if isinstance(documents, (int, float)) else 0, numbers(raw.get("lengths")),
                   None if shares is None else numbers(shares), counts(raw.get("languages")),
                   counts(raw.get("labels")), numbers(raw.get("confidences")))


def reference_of(evaluation: Evaluation | None) -> Reference | None:
    raw = (evaluation or {}).get("reference")
    return Reference.from_json(raw) if isinstance(raw, Mapping) else None
