"""nerspec.evaluate.text: the terminal rendering of an Evaluation."""

from __future__ import annotations

from nerspec.evaluate.text import _calibration_and_changes


def test_calibration_line_gives_the_ece_beside_its_sampling_noise() -> None:
    evaluation = {"calibration": {"ece": 0.0814, "sampling_noise": 0.0309, "items": 54, "method": "platt"}}
    (line,) = _calibration_and_changes(evaluation, "classes")
    assert line == ("calibration: ECE 0.081 over 54 predicted classes "
                    "(platt; a perfectly calibrated model would show ~0.031 on as many)")
    older = {"calibration": {"ece": 0.05, "items": 3, "method": "isotonic"}}  # an Evaluation from before the field
    assert _calibration_and_changes(older, "entities") == ["calibration: ECE 0.050 over 3 predicted entities (isotonic)"]
