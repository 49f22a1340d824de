"""Cross-fitting: every document scored by a model trained without it (k folds, stable by a hash of the document).

The calibration (``nerspec.train.calibrate``) cross-fits the training documents when it has no dev carve; the
label-error check (``nerspec lint --label-errors``) cross-fits every labeled document and keeps the fold models
and their scores under ``<state>/cache/cross-fit/<fingerprint>/``. The fingerprint hashes the model fingerprint
(training settings, data, split, versions), the number of folds and how folds are assigned (``FOLDING``), so a second run over the same inputs reads
its scores instead of training, and a run killed half-way keeps the folds it finished. The scores file is named
by the scoring (``scores-<SCORING>.json``): a new way of scoring rescores with the cached fold models.

How a held-out document is scored is its kind's ``held_out_scores`` (``SCORINGS``). NER: a beam (``BEAM_WIDTH``
parses): every entity the model weighs, with its marginal probability, not only the one reading it returns; and,
following each document's given tags, the untagged runs where the model would rather start an entity
(``Predictor.untagged_entity_scores``). Overlapping entities (a span categorizer): every candidate span and type
its suggester proposes, with its own probability (``Predictor.span_candidates``, from ``CANDIDATE_FLOOR``).
Classification: the class probabilities.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import safeio
from nerspec.corpus.label_errors import OutOfSample
from nerspec.corpus.model import Document
from nerspec.kinds import project_kind

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.predict import Predictor
    from nerspec.train.loop import TrainResult

FOLDS = 5
MAX_FOLDS = 20  # the commands' limit
BEAM_WIDTH = 16
WATCHED = 64  # training documents scored at each evaluation of a fold that keeps its last weights
SCORING = "beam16-untagged-v2"  # names the scores file: a change of how documents are scored rescores
CANDIDATE_FLOOR = 0.01  # a span categorizer's candidates below this probability are not kept (absent reads as 0)


# How the label-error check assigns folds (part of its cache key): by text, so that copies of one text (retweets,
# a document imported twice) are held out together. By id, a fold model learned a document's labels from its copy
# in another fold: a flipped copy then "found" its clean twin wrong, and a removed tag was "found" only by memory.
FOLDING = "text-v1"


def fold_of(docs: Sequence[Document], seed: int, folds: int, salt: str, *, by_text: bool = False) -> list[int]:
    """Each document's fold, from the document alone (its id; ``by_text``: its text, case and runs of whitespace
    folded, so copies share a fold): adding a document moves no other one."""
    from nerspec.corpus.split import unit_hash

    keys = [" ".join(d.text.casefold().split()) if by_text else d.id for d in docs]
    return [int(unit_hash(key, seed, salt) * folds) for key in keys]


def train_fold(project: LoadedProject, rest: list[Document], output: Path, init_tok2vec: Path | None) -> TrainResult:
    """A fold model, trained as the project's model is but without a dev carve (same schedule and checkpoint).

    Without a dev carve spaCy's loop scores its whole training set at every evaluation. Where training keeps its
    last weights whatever the scores (no early stopping), those scores only feed the progress line, so a few
    training documents are scored instead: the same weights, at about half the cost on WNUT-16's folds."""
    from nerspec.train.loop import run_training

    watched = rest[:: max(1, len(rest) // WATCHED)][:WATCHED] if _keeps_last_weights(project, rest) else []
    return run_training(project, rest, watched, output / "_training", None, init_tok2vec=init_tok2vec)


def _keeps_last_weights(project: LoadedProject, rest: list[Document]) -> bool:
    from nerspec.train.schedule import DataSize, schedule_for

    training = project.manifest.spec.training
    if training.config is not None:
        return False  # an expert config sets its own patience
    patience = training.patience
    if patience is None:
        patience = schedule_for(project_kind(project), DataSize.of(rest), project.manifest.spec.multilabel).patience
    return patience == 0


def raw_predictor(project: LoadedProject, model_dir: Path) -> Predictor:
    """A ``Predictor`` over a bare spaCy pipeline of the project (raw scores: no calibration)."""
    from nerspec.model_meta import ModelMeta
    from nerspec.predict import Predictor

    spec = project.manifest.spec
    meta = ModelMeta(
        kind=project.kind,
        project=project.name,
        labels=tuple(label.name for label in spec.labels),
        multilabel=spec.multilabel,
        overlapping=spec.overlapping,
        threshold=spec.training.threshold,
        language=project.manifest.metadata.language,
    )
    return Predictor(model_dir.parent, meta, calibrate=False, model_path=model_dir)


@dataclass(frozen=True)
class CrossFit:
    fingerprint: str
    folds: int
    scores: list[OutOfSample]  # one per document, in the order given
    trained: int  # fold models trained by this run (0: everything came from the cache)


def cache_key(model_fingerprint: str, folds: int) -> str:
    return hashlib.sha256(f"{model_fingerprint}\x00{folds}\x00{FOLDING}".encode()).hexdigest()[:20]


def scores_path(root: Path, scoring: str = SCORING) -> Path:
    """The scores of the fold models under ``root`` (a cross-fit's cache directory), for today's ``scoring``
    (``Scoring.name``)."""
    return root / f"scores-{scoring}.json"


def cross_fit(project: LoadedProject, docs: list[Document], paths: StatePaths, *, folds: int = FOLDS) -> CrossFit:
    """Out-of-fold scores of ``docs``, from the cache where the same inputs were cross-fitted before."""
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint

    key = cache_key(model_fingerprint(project, data_fingerprint(project, paths.cache)), folds)
    root = paths.cache / "cross-fit" / key
    scoring = scoring_of(project).name
    cached = read_scores(scores_path(root, scoring), docs)
    if cached is not None:
        return CrossFit(key, folds, cached, 0)
    seed = project.manifest.spec.training.seed
    assigned = fold_of(docs, seed, folds, "label-error-fold", by_text=True)
    scores: dict[str, OutOfSample] = {}
    trained = 0
    weights = _pretrained(project, paths)
    from nerspec.progress import task

    with task(f"{project.name}: cross-fit {folds} folds", total=folds) as bar:
        for fold in range(folds):
            held = [d for d, f in zip(docs, assigned) if f == fold]
            rest = [d for d, f in zip(docs, assigned) if f != fold]
            if held and rest:
                fold_model, fresh = _fold_model(project, rest, root / f"fold-{fold}", weights)
                trained += fresh
                scores.update(zip((d.id for d in held), score_documents(project, fold_model, held), strict=True))
            bar.update(advance=1)
    ordered = [scores.get(d.id, OutOfSample()) for d in docs]
    _write_scores(scores_path(root, scoring), docs, ordered)
    return CrossFit(key, folds, ordered, trained)


def score_documents(project: LoadedProject, model_dir: Path, docs: list[Document]) -> list[OutOfSample]:
    """The fold model's scores of ``docs``, the kind's way (``SCORINGS``)."""
    return scoring_of(project).score(raw_predictor(project, model_dir), docs)


def _beam_scores(predictor: Predictor, docs: list[Document]) -> list[OutOfSample]:
    texts, languages = [d.text for d in docs], [d.language for d in docs]
    marginals = predictor.entity_marginals(texts, BEAM_WIDTH, languages=languages)
    given = [[(s.start, s.end, s.label) for s in d.spans] for d in docs]
    untagged = predictor.untagged_entity_scores(texts, given, languages=languages)
    return [OutOfSample(spans=m, untagged=u) for m, u in zip(marginals, untagged, strict=True)]


def _candidate_scores(predictor: Predictor, docs: list[Document]) -> list[OutOfSample]:
    found = predictor.span_candidates([d.text for d in docs], CANDIDATE_FLOOR, languages=[d.language for d in docs])
    return [OutOfSample(spans=spans) for spans in found]


def _class_scores(predictor: Predictor, docs: list[Document]) -> list[OutOfSample]:
    analyzed = predictor.analyze([d.text for d in docs], languages=[d.language for d in docs])
    return [OutOfSample(classes=cats) for _prediction, cats in analyzed]


@dataclass(frozen=True)
class Scoring:
    """One way of scoring held-out documents: ``name`` names its scores file (a new way rescores)."""

    name: str
    score: Callable[[Predictor, list[Document]], list[OutOfSample]]


# Keyed by ``ProjectKind.held_out_scores``.
SCORINGS: dict[str, Scoring] = {
    "beam": Scoring(SCORING, _beam_scores),
    "candidates": Scoring(f"candidates-floor{CANDIDATE_FLOOR}-v1", _candidate_scores),
    "classes": Scoring(SCORING, _class_scores),
}


def scoring_of(project: LoadedProject) -> Scoring:
    return SCORINGS[project_kind(project).held_out_scores]


def _fold_model(project: LoadedProject, rest: list[Document], fold_dir: Path, weights: Path | None) -> tuple[Path, int]:
    from nerspec.atomic import staged_dir

    model = fold_dir / "model"
    if model.is_dir():
        return model, 0
    with staged_dir(fold_dir) as staged:
        result = train_fold(project, rest, staged, weights)
        shutil.move(str(result.model_dir), staged / "model")
        shutil.rmtree(staged / "_training", ignore_errors=True)
    return model, 1


def _pretrained(project: LoadedProject, paths: StatePaths) -> Path | None:
    if project.manifest.spec.training.pretrain is None:
        return None
    from nerspec.train.config import default_config
    from nerspec.train.pretrain import pretrained_weights

    return pretrained_weights(project, default_config(project), paths)


def read_scores(path: Path, docs: list[Document]) -> list[OutOfSample] | None:
    try:
        data = json.loads(safeio.read_text(path))
        by_id = data["documents"]
        return [OutOfSample.from_json(by_id[d.id]) for d in docs]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, from other documents, or damaged: recompute (the fold models are still cached)


def _write_scores(path: Path, docs: list[Document], scores: list[OutOfSample]) -> None:
    from nerspec.atomic import write_text

    body = {"documents": {d.id: s.to_json() for d, s in zip(docs, scores, strict=True)}}
    write_text(path, json.dumps(body, ensure_ascii=False, separators=(",", ":")))


__all__ = ["FOLDS", "MAX_FOLDS", "SCORINGS", "CrossFit", "Scoring", "cache_key", "cross_fit", "fold_of", "raw_predictor",
           "score_documents", "scores_path", "scoring_of", "train_fold"]
