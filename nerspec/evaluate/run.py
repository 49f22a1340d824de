"""Evaluate a trained model on a project's test split (the orchestration behind ``nerspec evaluate PATH``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerspec.corpus.model import Corpus, Document, Span
from nerspec.progress import track

BATCH_SIZE = 256


def predictions_to_documents(
    kind: str, docs: list[Document], outputs: list[list[dict[str, Any]]]
) -> tuple[list[Document], list[dict[str, float]] | None]:
    """Predictor output (docs/architecture.md, "Predictions") as predicted Documents (+ class scores)."""
    from nerspec.kinds import kind_of

    return kind_of(kind).predicted_documents(docs, outputs)


def evaluate_model(
    project: Any, corpus: Corpus, split: Any, model_dir: Path, *, ci_resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
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
    outputs: list[list[dict[str, Any]]] = []
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
    )
    if mapped:
        evaluation["label_map"] = mapped
        outputs = [[{**item, "category": mapped.get(item["category"], item["category"])} for item in o] for o in outputs]
    evaluation["calibration"] = calibration_report(kind, test, outputs, predictor, all_scores)
    evaluation["reference"] = reference_statistics(test, outputs, read_vocabulary(Path(model_dir)),
                                                   manifest.metadata.language)
    return evaluation


def calibration_report(
    kind: str, gold: list[Document], outputs: list[list[dict[str, Any]]], predictor: Any,
    class_scores: list[dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Evaluation JSON ``calibration``: ECE and reliability bins of the confidences on the test docs.

    Multi-label with per-class maps: over every (document, class) pair, pooled and ``per_class``
    (``nerspec.class_calibration``); otherwise over the returned items."""
    from nerspec.calibration import outcomes, reliability

    per_class = getattr(predictor, "class_calibration", None)
    if per_class is not None and per_class.fitted and class_scores is not None:
        from nerspec.class_calibration import per_class_reliability

        fitted: Any = per_class
        out = {**per_class_reliability([d.labels for d in gold], class_scores), "method": per_class.method}
    else:
        fitted = getattr(predictor, "calibration", None)
        out = {**reliability(outcomes(kind, gold, outputs)), "method": getattr(fitted, "method", "none")}
    method = out["method"]
    if method != "none":
        out["fitted_on"] = str((getattr(fitted, "extra", None) or {}).get("fitted_on", "dev"))
        out["fitted_items"] = int(getattr(fitted, "items", 0) or 0)  # how firmly the map is pinned down
    return out


def map_previous_names(
    project: Any, pred: list[Document], scores: list[dict[str, float]] | None
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


def resolve_model(project: Any, state: Path | None, deployment: str = "production") -> Path:
    """The model to evaluate when none is named: the artifact trained from the current manifest and data
    (its fingerprint), else the model the ``deployment`` serves."""
    from nerspec.deploy import local
    from nerspec.errors import ModelNotFoundError
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint
    from nerspec.paths import state_paths

    paths = state_paths(state)
    fingerprint = model_fingerprint(project, data_fingerprint(project, paths.cache))
    artifact = local.artifact_dir(paths, fingerprint)
    if local.is_complete(artifact):
        return artifact
    shared = _remote_model(paths, fingerprint) if paths.artifacts_url and "://" in paths.artifacts_url else None
    deployed = shared or _deployed_model(paths, project.name, deployment)
    if deployed is not None:
        return deployed
    raise ModelNotFoundError(
        f"{project.name}: no model trained from the current manifest and data (fingerprint {fingerprint[:12]}) "
        f"and no {deployment!r} deployment in {paths.root}; run `nerspec train` or pass --model DIR"
    )


def _deployed_model(paths: Any, project: str, deployment: str) -> Path | None:
    """The model the state records for the deployment (``nerspec.deploy.targets``), fetched and verified."""
    from nerspec.deploy.targets import served_model
    from nerspec.errors import ModelNotFoundError
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return served_model(paths, store, project, deployment).model_dir
    except ModelNotFoundError:
        return None
    finally:
        store.close()


def _remote_model(paths: Any, fingerprint: str) -> Path | None:
    from nerspec.deploy.targets import TargetContext
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return TargetContext(paths, store).local_model(fingerprint) if store.get_model(fingerprint) else None
    finally:
        store.close()


def evaluate_project(
    path: Path, model_dir: Path | None, state: Path | None, *, ci_resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Load the project at ``path``, its corpus and split, and evaluate ``model_dir`` (or the resolved model)."""
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.errors import NerspecError
    from nerspec.manifest.load import load_projects
    from nerspec.paths import state_paths

    projects = load_projects([path])
    if len(projects) != 1:
        names = ", ".join(p.name for p in projects) or "none"
        raise NerspecError(f"evaluate takes one project; {path} holds {len(projects)} ({names})")
    from nerspec.corpus.split_record import with_recorded_split

    project = with_recorded_split(projects[0], state_paths(state))
    corpus = load_corpus(project, state_paths(state).cache)
    split = split_corpus(project, corpus)
    chosen = model_dir if model_dir is not None else resolve_model(project, state)
    evaluation = evaluate_model(project, corpus, split, chosen, ci_resamples=ci_resamples, seed=seed)
    evaluation["changes"] = _changes_vs_deployed(project, corpus, split, chosen, state, evaluation)
    return evaluation


def _changes_vs_deployed(
    project: Any, corpus: Corpus, split: Any, chosen: Path, state: Path | None, evaluation: dict[str, Any]
) -> dict[str, Any] | None:
    """``changes`` against the deployed model (the regression gate's deployment, else the first one);
    None when nothing is deployed there or it is the evaluated model itself."""
    from nerspec.deploy import local
    from nerspec.evaluate.baseline import compared_deployment
    from nerspec.evaluate.changes import document_changes
    from nerspec.paths import state_paths

    deployment = compared_deployment(project.manifest.spec)
    if deployment is None:
        return None
    paths = state_paths(state)
    deployed = _deployed_model(paths, project.name, deployment)
    if deployed is None or not local.is_complete(deployed) or deployed.resolve() == Path(chosen).resolve():
        return None
    baseline = evaluate_model(project, corpus, split, deployed, ci_resamples=10)
    against = {"deployment": deployment, "fingerprint": deployed.name}
    return document_changes(evaluation, baseline, against=against)
