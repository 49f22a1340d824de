"""The rollout analysis: a pure function of a candidate's observations and the manifest's thresholds.

Like ``decide.py``: no files, no store, no clock. The server records one ``RolloutObservation`` per document
both models answered (``compare`` turns the two answers into counts); ``analyze`` turns the observations into
the figures and a verdict: ``pending`` until ``min_documents`` were observed, then ``pass`` or ``fail`` with
one reason per threshold.

- Agreement, NER: entity-level F1 of the candidate against production over all observed documents (an entity
  agrees when offset, length and type are equal; documents where neither finds anything agree fully).
  Classification: the share of documents whose set of classes is identical.
- Error rate: documents the candidate failed on / documents observed.
- Latency ratio: the candidate's p95 time per request / production's p95, both the models' own compute (CPU) time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nerspec.numbers import metric_text
from nerspec.state.store import RolloutObservation

if TYPE_CHECKING:
    from nerspec.predictions import PredictedLabel


@dataclass(frozen=True)
class Thresholds:
    min_documents: int = 500
    min_agreement: float = 0.9
    max_error_rate: float = 0.01
    max_latency_ratio: float = 1.5


@dataclass(frozen=True)
class Comparison:
    """One document answered by both models."""

    matched: int
    candidate_only: int
    production_only: int
    identical: bool


@dataclass(frozen=True)
class Analysis:
    documents: int
    agreement: float | None
    error_rate: float | None
    latency_ratio: float | None
    verdict: str  # pending | pass | fail
    reasons: list[str] = field(default_factory=list)

    def figures(self) -> str:
        """The figures in one line, for history entries and progress lines."""
        return (f"{self.documents} documents, agreement {_text(self.agreement)}, error rate {_text(self.error_rate)}, "
                f"latency ratio {_text(self.latency_ratio, 2)}")


def _key(item: PredictedLabel, spans: bool) -> tuple[int | str | None, ...]:
    if spans:
        return (item.offset, item.length, item.category)
    return (item.category,)


def compare(candidate: Sequence[PredictedLabel], production: Sequence[PredictedLabel], spans: bool) -> Comparison:
    """Count how far two answers to one document agree (entities as offset, length and type; classes by name)."""
    mine = Counter(_key(item, spans) for item in candidate)
    theirs = Counter(_key(item, spans) for item in production)
    matched = sum((mine & theirs).values())
    return Comparison(matched, sum(mine.values()) - matched, sum(theirs.values()) - matched,
                      set(mine) == set(theirs))


def p95(values: Sequence[float]) -> float | None:
    """Nearest-rank 95th percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def agreement(observations: Sequence[RolloutObservation], spans: bool) -> float | None:
    answered = [o for o in observations if not o.error]
    if not answered:
        return None
    if not spans:
        return sum(o.identical for o in answered) / len(answered)
    matched = sum(o.matched for o in answered)
    disagreements = sum(o.candidate_only + o.production_only for o in answered)
    return 1.0 if matched + disagreements == 0 else 2 * matched / (2 * matched + disagreements)


def latency_ratio(observations: Sequence[RolloutObservation]) -> float | None:
    candidate = p95([o.candidate_ms for o in observations if o.candidate_ms is not None])
    production = p95([o.production_ms for o in observations])
    if candidate is None or production is None:
        return None
    return candidate / max(production, 1e-3)  # a microsecond floor: a ratio, never a division by zero


def analyze(observations: Sequence[RolloutObservation], thresholds: Thresholds, spans: bool) -> Analysis:
    documents = len(observations)
    error_rate = sum(o.error for o in observations) / documents if documents else None
    agree, ratio = agreement(observations, spans), latency_ratio(observations)
    if documents < thresholds.min_documents:
        reason = f"{documents} of {thresholds.min_documents} documents observed"
        return Analysis(documents, agree, error_rate, ratio, "pending", [reason])
    failed: list[str] = []
    passed: list[str] = []
    for ok, text in _checks(agree, error_rate, ratio, thresholds):
        (passed if ok else failed).append(text)
    return Analysis(documents, agree, error_rate, ratio, "fail" if failed else "pass", failed or passed)


def _checks(agree: float | None, error_rate: float | None, ratio: float | None,
            t: Thresholds) -> list[tuple[bool, str]]:
    checks = []
    if agree is None:
        checks.append((False, "the candidate answered no document"))
    else:
        ok = agree >= t.min_agreement
        checks.append((ok, f"agreement {_text(agree)} {'>=' if ok else '<'} {_text(t.min_agreement)}"))
    rate = error_rate or 0.0
    ok = rate <= t.max_error_rate
    checks.append((ok, f"error rate {_text(rate)} {'<=' if ok else '>'} {_text(t.max_error_rate)}"))
    if ratio is not None:
        ok = ratio <= t.max_latency_ratio
        checks.append((ok, f"latency ratio {_text(ratio, 2)} {'<=' if ok else '>'} {_text(t.max_latency_ratio, 2)}"))
    return checks


def _text(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else metric_text(value, digits)
