"""The pure analysis: drift signals and the declared rule, estimates, alerts, the production pool."""

from __future__ import annotations

import random
from typing import Any

from nerspec.manifest.schema import MonitoringAlert
from nerspec.monitor.analyze import Inputs, analyze
from nerspec.monitor.drift import ALPHA, drift
from nerspec.monitor.estimate import estimate
from nerspec.monitor.pool import build_pool
from nerspec.state.monitoring import MonitoredDocument, Predicted


def _reference(rng: random.Random, n: int = 200) -> dict[str, Any]:
    return {"version": 1, "documents": n, "lengths": [rng.randint(30, 60) for _ in range(n)],
            "unseen_shares": [rng.choice([0.0, 0.0, 0.1]) for _ in range(n)], "languages": {"en": n},
            "labels": {"PERSON": n, "CITY": n, "$none": 0}, "confidences": [rng.uniform(0.7, 1.0) for _ in range(2 * n)],
            "items": 2 * n}


def _doc(rng: random.Random, i: int, *, length: int | None = None, unseen: float | None = None,
         language: str = "en", labels: tuple[str, ...] = ("PERSON", "CITY"), low: float = 0.7) -> MonitoredDocument:
    tokens = 10
    share = unseen if unseen is not None else rng.choice([0.0, 0.0, 0.1])
    return MonitoredDocument("p", "production", "fp", 1000.0 + i, f"d{i}", language,
                             length if length is not None else rng.randint(30, 60), tokens, round(share * tokens),
                             tuple(Predicted(label, rng.uniform(low, 1.0)) for label in labels), 1e12,
                             f"text {i} " * 3)


def test_in_distribution_windows_rarely_drift() -> None:
    rng = random.Random(0)
    reference = _reference(rng)
    alarms = sum(drift([_doc(rng, i) for i in range(300)], reference, "en").drifted for _ in range(20))
    assert alarms <= 1


def test_each_signal_drifts_on_its_own_shift() -> None:
    rng = random.Random(1)
    reference = _reference(rng)
    cases = {
        "length": dict(length=400),
        "unseen_words": dict(unseen=0.6),
        "languages": dict(language="de"),
        "labels": dict(labels=("PERSON",)),
        "mean_confidence": dict(low=0.3),
    }
    for name, shift in cases.items():
        found = drift([_doc(rng, i, **shift) for i in range(300)], reference, "en")  # type: ignore[arg-type]
        drifted = {s.name for s in found.signals if s.drifted}
        assert found.drifted and name in drifted and found.score >= 1, (name, drifted)
        signal = next(s for s in found.signals if s.name == name)
        assert signal.p_value < ALPHA / 5 and signal.effect >= signal.min_effect


def test_estimate_reliability_and_per_label_support() -> None:
    rng = random.Random(2)
    window = [_doc(rng, i) for i in range(40)]
    calibrated = estimate(window, calibrated=True, fitted_items=100, drifted=False)
    assert calibrated.reliable and calibrated.items == 80 and [r.label for r in calibrated.per_label] == ["CITY", "PERSON"]
    assert calibrated.interval is not None and calibrated.interval[0] < calibrated.precision < calibrated.interval[1]
    raw = estimate(window, calibrated=False, fitted_items=0, drifted=True)
    assert not raw.reliable and len(raw.reasons) == 2
    assert estimate([], calibrated=True, fitted_items=10, drifted=False).precision is None


def test_alerts_follow_the_thresholds_and_need_enough_documents() -> None:
    rng = random.Random(3)
    evaluation = {"micro": {"precision": 0.9}, "per_entity": {}, "reference": _reference(rng),
                  "calibration": {"method": "platt", "fitted_items": 200}}
    window = [_doc(rng, i, unseen=0.8, low=0.2) for i in range(100)]
    alert = MonitoringAlert(min_estimated_precision=0.9, max_confidence_drop=0.1)
    result = analyze(Inputs("p", "production", "fp", "en", "per_entity", window, evaluation, alert))
    assert len(result.alerts) == 3 and result.drift is not None and result.drift.drifted
    assert result.timeline and sum(p.documents for p in result.timeline) == 100
    few = analyze(Inputs("p", "production", "fp", "en", "per_entity", window[:10], evaluation, alert))
    assert few.alerts == []  # under min_documents (50)
    other = analyze(Inputs("p", "production", "other", "en", "per_entity", window, evaluation, alert))
    assert other.window.documents == 0 and other.window.other_models == 100 and other.drift is None


def test_production_pool_ids_repeat_with_time_and_unlike_documents_score_high() -> None:
    rng = random.Random(4)
    reference = _reference(rng)
    logged = [_doc(rng, i) for i in range(5)] + [_doc(rng, 9, unseen=0.9, language="de")]
    logged.append(MonitoredDocument("p", "production", "fp", 2000.0, "d0", "en", 40, 10, 0, (), 1e12, "again"))
    pool = build_pool("production", logged, reference, "en")
    ids = [d.id for d in pool.documents]
    assert "d0@1970-01-01T00:16:40Z" in ids and "d0@1970-01-01T00:33:20Z" in ids  # one id, logged twice
    score, reason = pool.unlike["d9"]
    assert score == 1.0 and "language de" in reason and "90% of its words unseen" in reason
    assert max(s for key, (s, _) in pool.unlike.items() if key != "d9") < 1.0
