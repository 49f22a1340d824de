"""A span categorizer without a dev carve is calibrated per span by cross-fitting, like flat NER."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.nested_models import nested_project, nested_records
from tests.trained_models import _train

pytestmark = pytest.mark.slow


def test_cross_fitted_calibration_of_overlapping_entities(tmp_path: Path) -> None:
    from nerspec.train.calibrate import CROSS_FIT_FOLDS, CROSS_FIT_MIN_DOCUMENTS

    training = {"max_steps": 20, "eval_frequency": 10, "patience": 0, "seed": 1, "dev_fraction": 0.0}
    root = nested_project(tmp_path / "nested", nested_records(CROSS_FIT_MIN_DOCUMENTS + 20), training)
    artifact = _train(root, tmp_path / "state")
    calibration = json.loads((artifact.path / "meta.json").read_text())["calibration"]
    assert calibration["fitted_on"] == "cross-fit" and calibration["folds"] == CROSS_FIT_FOLDS
    # Every out-of-fold span prediction is one item: three entities a document, most of them found.
    assert calibration["method"] in ("platt", "isotonic") and calibration["items"] > CROSS_FIT_MIN_DOCUMENTS
    assert "scores" not in calibration  # no parser's action scores: the span categorizer's own probabilities
