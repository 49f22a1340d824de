"""nerspec.evaluate.text: the terminal rendering of an Evaluation."""

from __future__ import annotations

from nerspec.evaluate.record import Evaluation
from nerspec.evaluate.text import _calibration_and_changes


def test_calibration_line_gives_the_ece_beside_its_sampling_noise() -> None:
    evaluation = {"calibration": {"ece": 0.0814, "sampling_noise": 0.0309, "items": 54, "method": "platt"}}
    (line,) = _calibration_and_changes(Evaluation.from_json(evaluation), "classes")
    assert line == ("calibration: ECE 0.081 over 54 predicted classes "
                    "(platt; a perfectly calibrated model would show ~0.031 on as many)")
    older = {"calibration": {"ece": 0.05, "items": 3, "method": "isotonic"}}  # an Evaluation from before the field
    assert _calibration_and_changes(Evaluation.from_json(older), "entities") == ["calibration: ECE 0.050 over 3 predicted entities (isotonic)"]


def test_calibration_line_says_how_many_predictions_the_map_was_fitted_on() -> None:
    evaluation = {"calibration": {"ece": 0.039, "sampling_noise": 0.031, "items": 915, "method": "platt",
                                  "fitted_items": 65}}
    (line,) = _calibration_and_changes(Evaluation.from_json(evaluation), "entities")
    assert line == ("calibration: ECE 0.039 over 915 predicted entities "
                    "(platt fitted on 65; a perfectly calibrated model would show ~0.031 on as many)")


def test_an_overlapping_projects_confusion_matrix_says_how_spans_pair() -> None:
    from nerspec.corpus.model import Document, Span
    from nerspec.evaluate.text import _confusion
    from nerspec.metrics.confusion import BEST_OVERLAP, PAIRING_NOTES, ner_confusion

    gold = [Document("d", "Bank of England", [Span(0, 15, "ORG"), Span(8, 15, "LOC")])]
    pred = [Document("d", "Bank of England", [Span(0, 15, "LOC")])]
    nested = _confusion(Evaluation.from_json({"confusion_matrix": ner_confusion(gold, pred, ["ORG", "LOC"],
                                                                               overlapping=True)}))
    assert nested[-1] == PAIRING_NOTES[BEST_OVERLAP]
    assert PAIRING_NOTES[BEST_OVERLAP] not in _confusion(Evaluation.from_json({"confusion_matrix": ner_confusion(gold, pred, ["ORG", "LOC"])}))
