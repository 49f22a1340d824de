"""A real span categorizer trained on nested entities (`overlapping: true`): overlapping predictions through the
one prediction path, with confidences, from a pipeline sized from its data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

TEXTS = ["Grace Lee works at the Bank of Oslo since May.", "The University of Lima hired Bob Khan last year."]


def _overlapping(entities: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(outer, inner) texts of predicted entities one of which lies inside the other."""
    spans = [(e["offset"], e["offset"] + e["length"], e["text"]) for e in entities]
    return [(a[2], b[2]) for a in spans for b in spans if a != b and a[0] <= b[0] and b[1] <= a[1]]


def test_the_artifact_is_a_span_categorizer_sized_from_its_data(spans_model: tuple[Path, Path, Any]) -> None:
    _root, _state, artifact = spans_model
    meta = json.loads((artifact.path / "meta.json").read_text())
    assert meta["kind"] == "NERProject" and meta["overlapping"] is True
    config = (artifact.path / "model" / "config.cfg").read_text()
    assert 'factory = "spancat"' in config
    assert "sizes = [1, 2, 3, 4]" in config  # the longest entity: "Oslo Chamber of Commerce"
    assert "calibration" in meta and meta["calibration"]["method"] in ("none", "platt", "isotonic")


def test_predictions_overlap_with_confidences(spans_model: tuple[Path, Path, Any]) -> None:
    from nerspec.predict import load
    from nerspec.predictions import to_json

    _root, _state, artifact = spans_model
    predictor = load(artifact.path)
    first, second = (to_json(p) for p in predictor.predict(TEXTS))
    assert ("Bank of Oslo", "Oslo") in _overlapping(first)
    assert ("University of Lima", "Lima") in _overlapping(second)
    assert {(e["text"], e["category"]) for e in first} >= {("Bank of Oslo", "ORG"), ("Oslo", "LOC")}
    assert all(0.0 <= e["confidenceScore"] <= 1.0 for e in first + second)
    assert all(TEXTS[0][e["offset"]:e["offset"] + e["length"]] == e["text"] for e in first)


def test_span_candidates_hold_every_prediction_at_its_raw_score_and_more(spans_model: tuple[Path, Path, Any]) -> None:
    # The label-error check's scores (``Predictor.span_candidates``): every suggested (span, type) from a floor,
    # the predictions among them with the same raw probabilities the one prediction path returns.
    from nerspec.predict import Predictor
    from nerspec.train.artifact import read_artifact

    _root, _state, artifact = spans_model
    found = read_artifact(artifact.path)
    raw = Predictor(found.path, found.meta, calibrate=False)
    candidates = raw.span_candidates(TEXTS, 0.0)
    for text, predicted, weighed in zip(TEXTS, raw.predict(TEXTS), candidates, strict=True):
        assert {(e.start, e.end, e.category): e.confidence for e in predicted}.items() <= {
            k: round(p, 4) for k, p in weighed.items()}.items()
        assert all(text[s:e] == text[s:e].strip() and label in {"PERSON", "ORG", "LOC"} for s, e, label in weighed)
        assert len(weighed) > len(predicted) and min(weighed.values()) < 0.5  # not only what reaches 0.5
    assert all(p >= 0.2 for p in raw.span_candidates(TEXTS, 0.2)[0].values())
