"""``nerspec.train.calibrate``: without a dev carve, the calibration is fitted on cross-fitted scores."""

from __future__ import annotations

import pytest

from .conftest import load_all

pytestmark = pytest.mark.slow


def test_no_dev_carve_cross_fits_the_calibration(make_project, state, monkeypatch):
    """Every training document is scored once by a fold model that never saw it; the map is fitted on that."""
    from nerspec.train import calibrate, train

    folds: list[tuple[int, int]] = []
    original = calibrate._outcomes

    def watching(project, predictor, docs):  # type: ignore[no-untyped-def]
        folds.append((len(docs), id(predictor)))
        return original(project, predictor, docs)

    monkeypatch.setattr(calibrate, "_outcomes", watching)
    root = make_project("TextClassificationProject", n=90, training={"max_steps": 20, "dev_fraction": 0.0})
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state)
    fitted = artifact.meta.calibration_or_empty
    assert fitted["fitted_on"] == "cross-fit" and fitted["folds"] == calibrate.CROSS_FIT_FOLDS
    assert fitted["method"] == "platt" and fitted["items"] == len(split.train)  # one class per document
    assert len(folds) == calibrate.CROSS_FIT_FOLDS and sum(n for n, _ in folds) == len(split.train)


def test_too_few_documents_to_cross_fit_serve_raw_scores(make_project, state):
    from nerspec.train import calibrate, train

    root = make_project("TextClassificationProject", n=30, training={"max_steps": 20, "dev_fraction": 0.0})
    project, corpus, split = load_all(root)
    assert len(split.train) < calibrate.CROSS_FIT_MIN_DOCUMENTS
    fitted = train(project, corpus, split, paths=state).meta.calibration_or_empty
    assert fitted["method"] == "none" and "too few to cross-fit" in fitted["reason"]
