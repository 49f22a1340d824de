"""One training run through spaCy's library API (``init_nlp`` + ``spacy.training.loop.train``).

Never ``spacy.cli``: its functions print and exit the process. Determinism: the config's seed is
fixed by ``init_nlp`` and again by ``train``; the reader yields documents in corpus order and spaCy
shuffles them with the seeded ``random``; so the same seed and data give the same scores.
Interrupts: ``KeyboardInterrupt`` is not caught here; spaCy's loop only saves ``model-last`` into the
output directory on its way out, and that directory is the caller's staging directory, removed as a whole.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat, SupportsIndex

from nerspec.corpus.model import Document
from nerspec.errors import TrainingError
from nerspec.progress import Task
from nerspec.progress import task as progress_task
from nerspec.train import config as cfg
from nerspec.train import memory

if TYPE_CHECKING:
    from spacy.language import Language
    from thinc.api import Config

    from nerspec.manifest.load import LoadedProject
    from nerspec.state.sql import JsonObject


@dataclass(frozen=True)
class Progress:
    """One optimizer step, as the progress callback sees it."""

    step: int  # spaCy's step index (0-based); training stops once it reaches ``max_steps``
    max_steps: int
    epoch: int
    loss: float | None  # summed component losses since the previous evaluation (known at evaluations)
    dev_score: float | None  # the latest dev score (spaCy's weighted score: ents_f, cats_score, ...)
    best_score: float | None
    best_step: int | None
    elapsed: float  # seconds since the first step
    eta: float | None  # seconds left until max_steps or the patience limit, whichever comes first
    evaluated: bool  # this step ran an evaluation

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


ProgressCallback = Callable[[Progress], None]


@dataclass
class TrainResult:
    model_dir: Path  # spaCy's model-best, or model-last when training ran without early stopping
    score: float
    scores: JsonObject  # the dev scores of the kept checkpoint
    best_step: int  # the kept checkpoint's step
    steps: int
    max_steps: int  # the config's limit (an expert config may set its own)
    seconds: float
    gpu: bool
    train_documents: int
    dev_documents: int
    dev_source: str  # "dev" (carved from train) or "train" (too few documents to carve)
    checkpoints: list[tuple[float, int]] = field(default_factory=list)


def carve_dev(train_docs: list[Document], fraction: float, seed: int) -> tuple[list[Document], list[Document]]:
    """Deterministic dev carve from the training side (``nerspec.corpus.split.dev_split``)."""
    from nerspec.corpus.split import dev_split

    return dev_split(train_docs, fraction, seed)


def select_gpu(setting: bool | str) -> int:
    """``gpu: auto`` uses a GPU only when one is usable; ``true`` requires one; ``false`` never."""
    if setting is False:
        return -1
    from thinc.api import prefer_gpu, require_gpu

    if setting == "auto":
        try:
            return 0 if prefer_gpu(0) else -1
        except Exception:  # a broken CUDA install must not stop CPU training
            return -1
    try:
        require_gpu(0)
    except Exception as exc:
        raise TrainingError(f"training.gpu is true but no GPU is usable: {exc}") from None
    return 0


def run_training(
    project: LoadedProject,
    train_docs: list[Document],
    dev_docs: list[Document],
    output_path: Path,
    progress: ProgressCallback | None = None,
    init_tok2vec: Path | None = None,
) -> TrainResult:
    """Train the project's pipeline on ``train_docs``, early-stopping on ``dev_docs``; save under ``output_path``.
    ``init_tok2vec``: pretrained tok2vec weights to start from (``training.pretrain``)."""
    if not train_docs:
        raise TrainingError(f"project `{project.name}` has no training documents")
    dev_source = "dev"
    if not dev_docs:
        # Too few documents to carve a dev set (or dev_fraction: 0): select the checkpoint on the train set.
        dev_docs, dev_source = list(train_docs), "train"
    memory.register()
    from spacy.training.loop import train as spacy_train

    from nerspec.train.schedule import DataSize

    base = cfg.project_config(project, DataSize.of(train_docs))
    if init_tok2vec is not None:
        base = cfg.with_init_tok2vec(base, init_tok2vec)
    key = f"{project.name}:{uuid.uuid4().hex}"
    training = base["training"]
    max_steps = int(training.get("max_steps") or 0)
    patience = int(training.get("patience") or 0)
    # Without early stopping (patience 0) the run keeps its last weights (parameter-averaged, like every
    # checkpoint) instead of the checkpoint that scored best on the dev carve: picking the maximum of several
    # dozen noisy dev scores overstates the dev carve's accuracy, and the calibration is fitted on that carve.
    keep_last = patience == 0
    tracker = _Tracker(max_steps, patience, progress, keep_last=keep_last)
    session = memory.MemorySession(train=train_docs, dev=dev_docs, impl=cfg.project_kind(project),
                                   labels=cfg.labels_of(project), multilabel=cfg.multilabel_of(project),
                                   log_step=tracker.log_step)
    config = cfg.with_memory_corpus(base, key)
    use_gpu = select_gpu(project.manifest.spec.training.gpu)
    where = (
        f"training.config `{project.manifest.spec.training.config}`"
        if project.manifest.spec.training.config
        else "the generated spaCy config"
    )
    memory.open_session(key, session)
    try:
        nlp = _init_pipeline(config, use_gpu, where)
        sink = io.StringIO()
        output_path.mkdir(parents=True, exist_ok=True)
        tracker.start()
        with progress_task(f"{project.name}: train", total=max_steps or None) as bar:
            tracker.bar = bar
            spacy_train(nlp, output_path, use_gpu=use_gpu, stdout=sink, stderr=sink)
    finally:
        memory.close_session(key)
    kept = output_path / ("model-last" if keep_last else "model-best")
    return _result(kept, tracker, max_steps, use_gpu, len(train_docs), dev_docs, dev_source)


def _init_pipeline(config: Config, use_gpu: int, where: str) -> Language:
    """spaCy's ``init_nlp``, with a config the user wrote (or we generated) named in the error when it is bad."""
    from spacy.training.initialize import init_nlp
    from thinc.api import ConfigValidationError

    try:
        return init_nlp(config, use_gpu=use_gpu)
    except ConfigValidationError as exc:
        raise TrainingError(f"{where} is invalid:\n{exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        # catalogue's RegistryError is a ValueError: an unknown architecture or reader in an expert config.
        raise TrainingError(f"cannot initialize the pipeline from {where}: {exc}") from None


def _result(best_dir: Path, tracker: _Tracker, max_steps: int, use_gpu: int, train_documents: int,
            dev_docs: list[Document], dev_source: str) -> TrainResult:
    if not best_dir.is_dir():
        raise TrainingError("training ended without a checkpoint (no evaluation ran)")
    return TrainResult(
        model_dir=best_dir,
        score=float(tracker.best_score or 0.0),
        scores=tracker.best_scores,
        best_step=tracker.best_step or 0,
        steps=tracker.step + 1,
        max_steps=max_steps,
        seconds=tracker.elapsed(),
        gpu=use_gpu >= 0,
        train_documents=train_documents,
        dev_documents=len(dev_docs),
        dev_source=dev_source,
        checkpoints=list(tracker.checkpoints),
    )


class _Tracker:
    """Turns spaCy's logger calls (an info dict at evaluations, ``None`` otherwise) into ``Progress``."""

    def __init__(self, max_steps: int, patience: int, progress: ProgressCallback | None, keep_last: bool = False) -> None:
        self.max_steps = max_steps
        self.patience = patience
        self.keep_last = keep_last  # the kept model is the latest, so "best" follows the latest evaluation
        self.progress = progress
        self.step = -1
        self.epoch = 0
        self.loss: float | None = None
        self.dev_score: float | None = None
        self.best_score: float | None = None
        self.best_step: int | None = None
        self.best_scores: JsonObject = {}
        self.checkpoints: list[tuple[float, int]] = []
        self.bar: Task | None = None  # the operator's progress line (nerspec.progress)
        self._t0 = time.monotonic()

    def start(self) -> None:
        self._t0 = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def status(self) -> str:
        """Loss and dev score for the progress line (spaCy reports both at evaluations only)."""
        parts = []
        if self.loss is not None:
            parts.append(f"loss {self.loss:.2f}")
        if self.dev_score is not None:
            shown = self.best_score is not None and not self.keep_last
            best = f" (best {self.best_score:.3f} @ {self.best_step})" if shown else ""
            parts.append(f"dev {self.dev_score:.3f}{best}")
        return "  ".join(parts) or "no evaluation yet"

    def log_step(self, info: memory.StepInfo | None) -> None:
        evaluated = info is not None
        if info is not None:
            self.step = int(info["step"])
            self.epoch = int(info["epoch"])
            self.loss = float(sum(info.get("losses", {}).values()))
            score = info.get("score")
            self.dev_score = None if score is None else float(score)
            self.checkpoints = [(float(s), int(st)) for s, st in info.get("checkpoints", [])]
            # spaCy saves model-best when the score ties or beats every earlier one: mirror that.
            if self.dev_score is not None and (
                self.keep_last or self.best_score is None or self.dev_score >= self.best_score
            ):
                self.best_score, self.best_step = self.dev_score, self.step
                # "speed" is words/second of the evaluation: timing noise, not a property of the model.
                scores = {k: v for k, v in (info.get("other_scores") or {}).items() if k != "speed"}
                self.best_scores = {str(key): _plain(value) for key, value in scores.items()}
        else:
            self.step += 1
        if self.progress is None and self.bar is None:
            return
        elapsed = self.elapsed()
        horizon = self.max_steps or None
        if self.patience and self.best_step is not None:
            limit = self.best_step + self.patience
            horizon = min(horizon, limit) if horizon else limit
        eta = None
        if horizon is not None and self.step >= 0:
            eta = max(0, horizon - self.step) * elapsed / (self.step + 1)
        if self.bar is not None:
            # spaCy runs steps 0..max_steps: the last one is shown as the budget, not one past it.
            done = min(self.step + 1, self.max_steps) if self.max_steps else self.step + 1
            self.bar.update(done, status=self.status(), eta=eta)
        if self.progress is None:
            return
        self.progress(
            Progress(
                step=self.step,
                max_steps=self.max_steps,
                epoch=self.epoch,
                loss=self.loss,
                dev_score=self.dev_score,
                best_score=self.best_score,
                best_step=self.best_step,
                elapsed=elapsed,
                eta=eta,
                evaluated=evaluated,
            )
        )


def _plain(value: object) -> object:
    """spaCy's scores as JSON-safe values (numpy floats, nested per-type dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, SupportsFloat | SupportsIndex):  # numpy scalars
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    return str(value)
