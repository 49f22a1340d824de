"""What a project kind's scorer takes and returns (``ProjectKind.score``, ``ProjectKind.metrics``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nerspec.corpus.model import Document
from nerspec.metrics.confusion import ConfusionJSON
from nerspec.metrics.prf import Scores
from nerspec.metrics.review import ReviewDocument


@dataclass(frozen=True)
class ScoringInput:
    gold: list[Document]
    pred: list[Document]  # aligned with ``gold``
    labels: Sequence[str] | None  # the manifest's labels (table order), None when scoring files
    scores: list[dict[str, float]] | None  # per document {class: score} (classification)
    threshold: float
    multilabel: bool


@dataclass(frozen=True)
class KindScores:
    scores: Scores
    confusion_matrix: ConfusionJSON  # Evaluation JSON ``confusion_matrix``
    documents: list[ReviewDocument]  # Evaluation JSON ``documents`` (per-document review)
    extra: dict[str, object] = field(default_factory=dict)  # kind-specific top-level keys (``partial``, sweep)
