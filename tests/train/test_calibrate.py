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


def test_copies_of_a_text_share_a_calibration_fold():
    """A fold model must never score a copy of a document it trained on: copies (case and spacing aside) are held
    out together, while distinct texts still spread over every fold."""
    from nerspec.corpus.model import Document
    from nerspec.train.calibrate import CROSS_FIT_FOLDS, calibration_folds

    texts = [f"review number {i} of the shop" for i in range(60)]
    docs = [Document(f"d{i}", t) for i, t in enumerate(texts)]
    copies = [Document(f"copy{i}", f"  {t.upper()}\n") for i, t in enumerate(texts[:20])]
    folds = calibration_folds(docs + copies, seed=7)
    assert folds[60:] == folds[:20]
    assert set(folds) == set(range(CROSS_FIT_FOLDS))
