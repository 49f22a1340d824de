"""Fit the confidence calibration of a freshly trained pipeline on the dev carve (``nerspec.calibration``).

Raw scores come from the same prediction function that serves the model (``Predictor.analyze`` with
calibration off), so the map is fitted on exactly the scores it will later transform.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec.corpus.model import Document

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.train.loop import TrainResult


def fit_calibration(project: LoadedProject, result: TrainResult, dev_docs: list[Document]) -> dict[str, Any]:
    """The ``calibration`` block of ``meta.json`` for the pipeline in ``result.model_dir``."""
    from nerspec.calibration import fit_isotonic, outcomes, reliability

    if result.dev_source != "dev" or not dev_docs:
        return fit_isotonic([], reason_if_skipped="no dev carve (the checkpoint was chosen on training data)").to_json()
    predictor = _raw_predictor(project, result.model_dir)
    languages = [d.language for d in dev_docs]  # a multilingual pipeline tokenizes each text by its language
    predictions = list(predictor.pipe([d.text for d in dev_docs], batch_size=64, languages=languages))
    raw = outcomes(project.kind, dev_docs, predictions)
    calibration = fit_isotonic(raw)
    fitted = [(calibration(score), correct) for score, correct in raw]
    out = calibration.to_json()
    out["beam_width"] = predictor.beam_width
    if project.kind == "NERProject" and predictor.beam_width == 1:
        from nerspec.confidence import ACTION_SCORES

        out["scores"] = ACTION_SCORES  # which raw scores the map was fitted on (``nerspec.predict``)
    out["dev_ece_raw"] = reliability(raw)["ece"]
    out["dev_ece"] = reliability(fitted)["ece"]
    return out


def _raw_predictor(project: LoadedProject, model_dir: Path) -> Any:
    from nerspec.predict import Predictor

    spec = project.manifest.spec
    meta = {
        "kind": project.kind,
        "project": project.name,
        "labels": [label.name for label in spec.labels],
        "multilabel": bool(getattr(spec, "multilabel", False)),
        "threshold": spec.training.threshold,
        "language": project.manifest.metadata.language,
    }
    return Predictor(model_dir.parent, meta, calibrate=False, model_path=model_dir)
