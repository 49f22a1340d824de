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
    from nerspec.evaluate import NER_KIND

    pred: list[Document] = []
    if kind == NER_KIND:
        for doc, ents in zip(docs, outputs, strict=True):
            spans = [Span(e["offset"], e["offset"] + e["length"], e["category"]) for e in ents]
            pred.append(Document(id=doc.id, text=doc.text, spans=spans))
        return pred, None
    scores: list[dict[str, float]] = []
    for doc, classes in zip(docs, outputs, strict=True):
        pred.append(Document(id=doc.id, text=doc.text, labels=[c["category"] for c in classes]))
        scores.append({c["category"]: float(c.get("confidenceScore", 1.0)) for c in classes})
    return pred, scores


def evaluate_model(
    project: Any, corpus: Corpus, split: Any, model_dir: Path, *, ci_resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Predict the test side of ``split`` with the model in ``model_dir`` and score it.

    ``project``: a ``LoadedProject``; ``split``: a ``SplitResult`` (``train``, ``test``).
    """
    from nerspec import predict
    from nerspec.evaluate import NER_KIND, evaluate

    manifest = project.manifest
    kind = manifest.kind
    spec = manifest.spec
    multilabel = bool(getattr(spec, "multilabel", False))
    # Greedy decoding only (beam_width=1): exactly what ``spacy evaluate`` scores, and no time spent on
    # confidence scores that strict scoring does not use.
    predictor = predict.load(model_dir, beam_width=1)
    threshold = float(getattr(predictor, "threshold", spec.training.threshold))
    test = list(split.test)
    texts = [d.text for d in test]
    described = f"{project.name}: evaluate (predict the test split)"
    nlp = getattr(predictor, "nlp", None)
    if kind != NER_KIND and multilabel and nlp is not None:
        # The sweep needs every class's score, not only those above the model's threshold.
        docs = nlp.pipe(texts, batch_size=BATCH_SIZE)
        scores = [{k: float(v) for k, v in doc.cats.items()} for doc in track(docs, described, len(texts))]
        pred = [Document(id=d.id, text=d.text, labels=[c for c, v in s.items() if v >= threshold])
                for d, s in zip(test, scores)]
    else:
        outputs = [list(o) for o in track(predictor.pipe(texts, batch_size=BATCH_SIZE), described, len(texts))]
        pred, scores = predictions_to_documents(kind, test, outputs)
    return evaluate(
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


def resolve_model(project: Any, state: Path | None, deployment: str = "production") -> Path:
    """The model to evaluate when none is named: the artifact trained from the current manifest and data
    (its fingerprint), else the model the ``deployment`` serves."""
    from nerspec.deploy import local
    from nerspec.errors import ModelNotFoundError
    from nerspec.fingerprint import data_fingerprint, model_fingerprint
    from nerspec.paths import state_paths

    paths = state_paths(state)
    fingerprint = model_fingerprint(project, data_fingerprint(project, paths.cache))
    artifact = local.model_dir(paths, fingerprint)
    if local.is_complete(artifact):
        return artifact
    pointer = local.read_pointer(paths, project.name, deployment)
    if pointer and pointer.get("fingerprint"):
        deployed = local.model_dir(paths, str(pointer["fingerprint"]))
        if local.is_complete(deployed):
            return deployed
    raise ModelNotFoundError(
        f"{project.name}: no model trained from the current manifest and data (fingerprint {fingerprint[:12]}) "
        f"and no {deployment!r} deployment in {paths.root}; run `nerspec train` or pass --model DIR"
    )


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
    project = projects[0]
    corpus = load_corpus(project, state_paths(state).cache)
    split = split_corpus(project, corpus)
    chosen = model_dir if model_dir is not None else resolve_model(project, state)
    return evaluate_model(project, corpus, split, chosen, ci_resamples=ci_resamples, seed=seed)
