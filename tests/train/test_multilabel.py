"""Multi-label classification with the default schedule: converges on separable data, calibrated per class."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nerspec.train import train

from .conftest import TOPICS, load_all, textcat_records, write_project

pytestmark = pytest.mark.slow


def test_multilabel_defaults_converge_and_are_calibrated(tmp_path: Path, state) -> None:
    # Keyword data any linear model separates: 300 documents, 4 classes, 40% with a second class. Before the fix
    # the default schedule stopped after three evaluations (dev macro F1 at raw 0.5 could not move) at test
    # micro F1 0.19; raw sigmoids trained the whole budget still missed second classes (0.89).
    root = write_project(tmp_path / "ml", "TextClassificationProject", textcat_records(300, True), sorted(TOPICS),
                         multilabel=True)
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    for key in ("training", "split"):
        manifest["spec"].pop(key)  # every training and split default
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state)
    assert artifact.metrics["stopped"] == "max_steps"  # the budget, not an early stop on a metric that cannot move
    assert artifact.meta.calibration_or_empty["method"] == "per-class"
    assert set(artifact.meta.calibration_or_empty["classes"]) == set(TOPICS)

    from nerspec.evaluate.run import evaluate_model
    from nerspec.predict import load

    evaluated = evaluate_model(project, corpus, split, artifact.path, ci_resamples=10)
    evaluation = evaluated.to_json()
    assert evaluation["micro"]["f1"] >= 0.95
    calibration = evaluation["calibration"]
    assert calibration["method"] == "per-class" and calibration["ece"] <= 0.1
    assert set(calibration["per_class"]) == set(TOPICS)
    assert calibration["items"] == len(split.test) * len(TOPICS)  # every (document, class) pair

    # The decision is the calibrated probability against the threshold, on every path.
    predictor = load(artifact.path)
    for prediction, cats in predictor.analyze([d.text for d in split.test]):
        assert {c.category for c in prediction} == {k for k, v in cats.items() if v >= predictor.threshold}
        assert all(c.confidence == round(cats[c.category], 4) for c in prediction)

    from nerspec.gates import evaluate_gates
    from nerspec.manifest.gates import CalibrationGate

    gates = project.manifest.spec.gates.model_copy(update={"calibration": CalibrationGate(max_ece=0.1)})
    (gate,) = [r for r in evaluate_gates(project.kind, list(TOPICS), gates, evaluated) if r.name == "calibration.max_ece"]
    assert gate.passed and gate.value == calibration["ece"]
