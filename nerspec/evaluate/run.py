"""Predict a project's test split with a trained model and score it (no state: ``nerspec.model_scoring`` picks
the models and records the scores)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Corpus, Document, Span
from nerspec.evaluate.record import Calibration, Evaluation
from nerspec.predictions import Prediction
from nerspec.progress import track

if TYPE_CHECKING:
    from nerspec.corpus.split import SplitResult
    from nerspec.manifest.load import LoadedProject
    from nerspec.predict import Prediction, Predictor

BATCH_SIZE = 256


def predictions_to_documents(
    kind: str, docs: list[Document], outputs: list[Prediction]
) -> tuple[list[Document], list[dict[str, float]] | None]:
    """Predictor output (docs/architecture.md, "Predictions") as predicted Documents (+ class scores)."""
    from nerspec.kinds import kind_of

    return kind_of(kind).predicted_documents(docs, outputs)


def evaluate_model(
    project: LoadedProject, corpus: Corpus, split: SplitResult, model_dir: Path, *, ci_resamples: int = 1000, seed: int = 0
) -> Evaluation:
    """Predict the test side of ``split`` with the model in ``model_dir`` and score it.

    ``project``: a ``LoadedProject``; ``split``: a ``SplitResult`` (``train``, ``test``).
    """
    from nerspec import predict
    from nerspec.artifacts.layout import read_vocabulary
    from nerspec.evaluate import evaluate
    from nerspec.evaluate.reference import reference_statistics

    manifest = project.manifest
    kind = manifest.kind
    spec = manifest.spec
    multilabel = spec.multilabel
    # The one prediction function (``Predictor.analyze``): what is scored is exactly what predict and serve return.
    predictor = predict.load(model_dir)
    threshold = float(getattr(predictor, "threshold", spec.training.threshold))
    test = list(split.test)
    texts = [d.text for d in test]
    languages = [d.language for d in test]
    described = f"{project.name}: evaluate (predict the test split)"
    outputs: list[Prediction] = []
    all_scores: list[dict[str, float]] = []
    analyzed = predictor.analyze(texts, batch_size=BATCH_SIZE, languages=languages)
    for prediction, class_scores in track(analyzed, described, len(texts)):
        outputs.append(prediction)
        all_scores.append(class_scores)
    pred, scores = predictions_to_documents(kind, test, outputs)
    if multilabel:
        # The threshold sweep needs every class's raw score, not only those of the returned classes.
        scores = all_scores
    mapped = map_previous_names(project, pred, scores)
    evaluation = evaluate(
        kind,
        test,
        pred,
        train_docs=list(split.train),
        all_docs=list(corpus.documents),
        scores=scores if multilabel else None,
        threshold=threshold,
        multilabel=multilabel,
        ci_resamples=ci_resamples,
        seed=seed,
        labels=[label.name for label in spec.labels],
        overlapping=spec.overlapping,
    )
    if mapped:
        evaluation.label_map = mapped
        outputs = [[replace(item, category=mapped.get(item.category, item.category)) for item in o] for o in outputs]
    evaluation.calibration = calibration_report(kind, test, outputs, predictor, all_scores)
    evaluation.reference = reference_statistics(test, outputs, read_vocabulary(Path(model_dir)),
                                                manifest.metadata.language)
    return evaluation


def calibration_report(
    kind: str, gold: list[Document], outputs: list[Prediction], predictor: Predictor,
    class_scores: list[dict[str, float]] | None = None,
) -> Calibration:
    """The Evaluation's ``calibration``: ECE and reliability bins of the confidences on the test docs.

    Multi-label with per-class maps: over every (document, class) pair, pooled and ``per_class``
    (``nerspec.class_calibration``); otherwise over the returned items."""
    from nerspec.calibration import reliability
    from nerspec.kinds import kind_of

    per_class = getattr(predictor, "class_calibration", None)
    if per_class is not None and per_class.fitted and class_scores is not None:
        from nerspec.class_calibration import per_class_reliability

        fitted: object = per_class
        out: dict[str, object] = {**per_class_reliability([d.labels for d in gold], class_scores), "method": per_class.method}
    else:
        fitted = getattr(predictor, "calibration", None)
        out = {**reliability(kind_of(kind).outcomes(gold, outputs)), "method": getattr(fitted, "method", "none")}
    method = out["method"]
    if method != "none":
        out["fitted_on"] = str((getattr(fitted, "extra", None) or {}).get("fitted_on", "dev"))
        out["fitted_items"] = int(getattr(fitted, "items", 0) or 0)  # how firmly the map is pinned down
    return Calibration.from_json(out)


def map_previous_names(
    project: LoadedProject, pred: list[Document], scores: list[dict[str, float]] | None
) -> dict[str, str]:
    """Count a model trained before a rename or merge under the current names: its ``BorrowerName`` and
    ``GuarantorName`` predictions are scored as ``Party``, so per-type deltas against it mean something.
    Returns the mapping that was applied (empty for a model that already predicts the current names)."""
    from nerspec.corpus.load import rename_map

    names = rename_map(project)
    used: dict[str, str] = {}
    if not names:
        return used
    for doc in pred:
        for span in doc.spans:
            if span.label in names:
                used[span.label] = names[span.label]
        doc.spans = [Span(s.start, s.end, names.get(s.label, s.label)) for s in doc.spans]
        for label in doc.labels:
            if label in names:
                used[label] = names[label]
        doc.labels = list(dict.fromkeys(names.get(c, c) for c in doc.labels))
    for row in scores or []:
        for old in [k for k in row if k in names]:
            value = row.pop(old)
            row[names[old]] = max(value, row.get(names[old], 0.0))
    return dict(sorted(used.items()))
