"""nerspec.serve.registry.load_predictor: what the server must tell its operator about a model's scores."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from nerspec.serve.registry import load_predictor
from tests.trained_models import calibrated_copy, ner_model  # noqa: F401 - fixture


def test_a_confidence_beam_the_calibration_was_not_fitted_on_is_logged(
    ner_model: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    artifact = calibrated_copy(ner_model[2], tmp_path)
    with caplog.at_level(logging.WARNING, logger="nerspec.serve"):
        calibrated = load_predictor(artifact)
    assert calibrated.calibration.method == "platt" and not caplog.records
    with caplog.at_level(logging.WARNING, logger="nerspec.serve"):
        raw = load_predictor(artifact, beam_width=8)
    assert raw.calibration.method == "none"
    (record,) = caplog.records
    assert record.getMessage().startswith(f"{artifact.name}: confidence scores are raw, not calibrated")
