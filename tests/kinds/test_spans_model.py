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
