"""Fit the confidence calibration of a freshly trained pipeline (``nerspec.calibration``).

Raw scores come from the same prediction function that serves the model (``Predictor.analyze`` with
calibration off), so the map is fitted on exactly the scores it will later transform.

Where the scores come from:
- **the dev carve** (``fitted_on: dev``), when training had one: the model's own scores on documents it was not
  trained on (NER keeps its last weights, so the carve chose nothing; text classification's early stopping
  chose its checkpoint on the carve, which can flatter it slightly: its BBC News test ECE is 0.017);
- **cross-fitting** (``fitted_on: cross-fit``) when there is no dev carve (``dev_fraction: 0``, which small
  projects choose because a carve of a few dozen documents picks checkpoints badly and takes training data):
  the training documents are cut into ``CROSS_FIT_FOLDS`` folds, a model is trained the same way on all but
  one fold and scores that fold, and the map is fitted on these out-of-fold scores (every training document
  scored once by a model that never saw it; scikit-learn's ``CalibratedClassifierCV(ensemble=False)``). It
  costs ``CROSS_FIT_FOLDS`` extra trainings, so it runs only from ``CROSS_FIT_MIN_DOCUMENTS`` training
  documents on (below that the folds give too few items to fit anything; raw scores are served, and the
  artifact says why).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.kinds import project_kind

if TYPE_CHECKING:
    from nerspec.calibration import Outcome
    from nerspec.manifest.load import LoadedProject
    from nerspec.predict import Predictor
    from nerspec.state.sql import JsonObject
    from nerspec.train.loop import TrainResult

CROSS_FIT_FOLDS = 5
CROSS_FIT_MIN_DOCUMENTS = 60


def fit_calibration(
    project: LoadedProject,
    result: TrainResult,
    dev_docs: list[Document],
    train_docs: list[Document] | None = None,
    init_tok2vec: Path | None = None,
) -> JsonObject:
    """The ``calibration`` block of ``meta.json`` for the pipeline in ``result.model_dir``."""
    from nerspec.calibration import fit_calibration, reliability

    if multilabel_of(project):
        return _fit_per_class(project, result, dev_docs, train_docs, init_tok2vec)
    extra: dict[str, object] = {}
    if result.dev_source == "dev" and dev_docs:
        raw = _outcomes(project, _raw_predictor(project, result.model_dir), dev_docs)
    elif train_docs is not None and len(train_docs) >= CROSS_FIT_MIN_DOCUMENTS:
        raw = [o for docs, predictor in _cross_fitted(project, train_docs, init_tok2vec)
               for o in _outcomes(project, predictor, docs)]
        extra = {"fitted_on": "cross-fit", "folds": CROSS_FIT_FOLDS}
    else:
        return fit_calibration([], reason_if_skipped=_no_fit_reason(train_docs)).to_json()
    calibration = fit_calibration(raw)
    calibration = dataclasses.replace(calibration, extra=extra)
    fitted = [(calibration(score), correct) for score, correct in raw]
    out = calibration.to_json()
    out["beam_width"] = 1  # ``Predictor``'s default: the scores of ``_raw_predictor``
    if project_kind(project).parser_factories:  # scores from the parser's actions
        from nerspec.confidence import ACTION_SCORES

        out["scores"] = ACTION_SCORES  # which raw scores the map was fitted on (``nerspec.predict``)
    out["dev_ece_raw"] = reliability(raw)["ece"]
    out["dev_ece"] = reliability(fitted)["ece"]
    return out


def multilabel_of(project: LoadedProject) -> bool:
    return bool(getattr(project.manifest.spec, "multilabel", False))


def _no_fit_reason(train_docs: list[Document] | None) -> str:
    few = f" and {len(train_docs)} training documents, too few to cross-fit" if train_docs is not None else ""
    return f"no dev carve large enough to fit on{few}"


def _fit_per_class(
    project: LoadedProject, result: TrainResult, dev_docs: list[Document], train_docs: list[Document] | None,
    init_tok2vec: Path | None,
) -> JsonObject:
    """Multi-label: one map per class (``nerspec.class_calibration``) on every held-out (document, class) pair.

    Every document gives each class one item, so the dev carve is used from ``MIN_ITEMS`` documents on;
    a smaller carve (a small project's 10% is a handful of documents, some classes absent) is replaced by
    cross-fitted scores of the training documents."""
    from nerspec.calibration import MIN_ITEMS, fit_calibration
    from nerspec.class_calibration import fit_per_class, per_class_reliability

    extra: dict[str, object] = {}
    if result.dev_source == "dev" and len(dev_docs) >= MIN_ITEMS:
        docs, raw = dev_docs, _class_scores(_raw_predictor(project, result.model_dir), dev_docs)
    elif train_docs is not None and len(train_docs) >= CROSS_FIT_MIN_DOCUMENTS:
        docs, raw = [], []
        for held, predictor in _cross_fitted(project, train_docs, init_tok2vec):
            docs += held
            raw += _class_scores(predictor, held)
        extra = {"fitted_on": "cross-fit", "folds": CROSS_FIT_FOLDS}
    else:
        return fit_calibration([], reason_if_skipped=_no_fit_reason(train_docs)).to_json()
    gold = [d.labels for d in docs]
    calibration = dataclasses.replace(fit_per_class(gold, raw), extra=extra)
    out = calibration.to_json()
    out["dev_ece_raw"] = per_class_reliability(gold, raw)["ece"]
    out["dev_ece"] = per_class_reliability(gold, [calibration(row) for row in raw])["ece"]
    return out


def _class_scores(predictor: Predictor, docs: list[Document]) -> list[dict[str, float]]:
    """Raw per-class scores (``doc.cats``) of ``docs`` through the serving function."""
    languages = [d.language for d in docs]
    return [cats for _, cats in predictor.analyze([d.text for d in docs], batch_size=64, languages=languages)]


def _outcomes(project: LoadedProject, predictor: Predictor, docs: list[Document]) -> list[Outcome]:
    languages = [d.language for d in docs]  # a multilingual pipeline tokenizes each text by its language
    predictions = list(predictor.pipe([d.text for d in docs], batch_size=64, languages=languages))
    return project_kind(project).outcomes(docs, predictions)


def _cross_fitted(
    project: LoadedProject, train_docs: list[Document], init_tok2vec: Path | None
) -> Iterator[tuple[list[Document], Predictor]]:
    """Per fold: (held-out documents, a raw predictor trained on the others); every training document is scored
    once by a model that never saw it (``calibration_folds``)."""
    from nerspec.train.cross_fit import train_fold

    fold = calibration_folds(train_docs, project.manifest.spec.training.seed)
    for k in range(CROSS_FIT_FOLDS):
        held = [d for d, f in zip(train_docs, fold) if f == k]
        rest = [d for d, f in zip(train_docs, fold) if f != k]
        if not held or not rest:
            continue
        with tempfile.TemporaryDirectory(prefix="nerspec-cross-fit-") as tmp:
            result = train_fold(project, rest, Path(tmp), init_tok2vec)
            yield held, _raw_predictor(project, result.model_dir)


def calibration_folds(train_docs: list[Document], seed: int) -> list[int]:
    """Each training document's calibration fold, by a hash of its text: copies of one text (a document imported
    twice, a retweet) are held out together. By id, a fold model scored a copy of what it was trained on, which
    flatters the out-of-fold scores the map is fitted on."""
    from nerspec.train.cross_fit import fold_of

    return fold_of(train_docs, seed, CROSS_FIT_FOLDS, "calibration-fold", by_text=True)


def _raw_predictor(project: LoadedProject, model_dir: Path) -> Predictor:
    from nerspec.train.cross_fit import raw_predictor

    return raw_predictor(project, model_dir)
