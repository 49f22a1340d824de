"""Per-class calibration of multi-label scores (nerspec/class_calibration.py), without training."""

from __future__ import annotations

import random

from nerspec.class_calibration import ClassCalibration, fit_per_class, per_class_reliability


def _under_confident(n: int, seed: int = 0) -> tuple[list[list[str]], list[dict[str, float]]]:
    # Right ranking, small magnitudes: what a briefly trained sigmoid gives (positives 0.3-0.45, negatives 0.05-0.2).
    rng = random.Random(seed)
    gold, raw = [], []
    for _ in range(n):
        labels = [c for c in ("a", "b") if rng.random() < 0.4]
        gold.append(labels)
        raw.append({c: rng.uniform(0.3, 0.45) if c in labels else rng.uniform(0.05, 0.2) for c in ("a", "b")})
    return gold, raw


def test_per_class_maps_fix_a_threshold_on_small_raw_scores() -> None:
    gold, raw = _under_confident(200)
    calibration = fit_per_class(gold, raw)
    assert calibration.method == "per-class" and set(calibration.maps) == {"a", "b"}
    assert all(m.method == "platt" for m in calibration.maps.values())  # below 1,000 items per class
    test_gold, test_raw = _under_confident(200, seed=1)
    calibrated = [calibration(row) for row in test_raw]
    decided = [{c for c, p in row.items() if p >= 0.5} for row in calibrated]
    assert decided == [set(g) for g in test_gold]  # at raw 0.5 nothing would be returned
    assert per_class_reliability(test_gold, calibrated)["ece"] < per_class_reliability(test_gold, test_raw)["ece"]


def test_json_round_trip_and_older_artifacts() -> None:
    gold, raw = _under_confident(100)
    calibration = fit_per_class(gold, raw)
    again = ClassCalibration.from_json(calibration.to_json())
    assert again is not None
    for label, p in calibration({"a": 0.4, "b": 0.1}).items():
        assert abs(again({"a": 0.4, "b": 0.1})[label] - p) < 1e-5  # parameters are stored to 6 decimals
    # A class the maps do not know keeps its raw score; an older artifact's pooled map is not per-class.
    assert again({"c": 0.3})["c"] == 0.3
    assert ClassCalibration.from_json({"method": "platt", "a": 1.0, "b": 0.0}) is None
    assert ClassCalibration.from_json(None) is None


def test_reliability_is_over_every_document_and_class() -> None:
    gold = [["a"], [], ["a", "b"]]
    scores = [{"a": 0.9, "b": 0.1}, {"a": 0.2, "b": 0.1}, {"a": 0.8, "b": 0.7}]
    report = per_class_reliability(gold, scores)
    assert report["items"] == 6 and set(report["per_class"]) == {"a", "b"}
    assert report["per_class"]["a"]["items"] == 3
    assert report["ece"] is not None
