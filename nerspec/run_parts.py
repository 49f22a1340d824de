"""The pluggable parts of a run: trainer, evaluator, corpus loader and splitter.

Production uses the defaults below. Tests inject fakes by passing ``RunParts`` (in-process), or through the
test-only launcher ``python -m tests.launch`` for subprocesses; nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.deploy.targets import TargetContext
    from nerspec.evaluate.record import Evaluation
    from nerspec.fingerprints.data import DataFingerprint
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.state.store import Store

# trainer(project, corpus, split, out_dir, fingerprint, data_fp, paths=...): writes model/ and meta.json into out_dir
Trainer = Callable[..., None]
# evaluator(project, corpus, split, model_dir) -> the Evaluation
Evaluator = Callable[["LoadedProject", "Corpus", "SplitResult", Path], "Evaluation"]
CorpusLoader = Callable[..., "Corpus"]  # (project, cache_dir) -> Corpus
Splitter = Callable[["LoadedProject", "Corpus"], "SplitResult"]  # test doubles give only .train / .test


@dataclass(frozen=True)
class ResolvedParts:
    """An ``RunParts`` with every part filled in."""

    trainer: Trainer
    evaluator: Evaluator
    load_corpus: CorpusLoader
    split_corpus: Splitter


@dataclass
class RunParts:
    trainer: Trainer | None = None
    evaluator: Evaluator | None = None
    load_corpus: CorpusLoader | None = None
    split_corpus: Splitter | None = None

    def resolved(self) -> ResolvedParts:
        return ResolvedParts(
            trainer=self.trainer or default_trainer,
            evaluator=self.evaluator or default_evaluator,
            load_corpus=self.load_corpus or default_load_corpus,
            split_corpus=self.split_corpus or default_split,
        )


def default_trainer(
    project: LoadedProject, corpus: Corpus, split: SplitResult, out_dir: Path, fingerprint: str,
    data_fp: DataFingerprint, *, paths: StatePaths,
) -> None:
    """Train straight into apply's staged directory: apply owns the one staging layer and its crash points."""
    from nerspec.train import train_into

    train_into(out_dir, project, corpus, split, paths=paths, fingerprint=fingerprint, data_fp=data_fp)


def default_evaluator(project: LoadedProject, corpus: Corpus, split: SplitResult, model_dir: Path) -> Evaluation:
    from nerspec.evaluate.run import evaluate_model

    return evaluate_model(project, corpus, split, model_dir)


def default_load_corpus(project: LoadedProject, cache_dir: Path | None = None) -> Corpus:
    from nerspec.corpus.load import load_corpus

    return load_corpus(project, cache_dir)


def default_split(project: LoadedProject, corpus: Corpus) -> SplitResult:
    from nerspec.corpus.split import split_corpus

    return split_corpus(project, corpus)


@dataclass
class RunContext:
    """What every step of a run shares: where state lives, the store, the parts, and how to say progress."""

    paths: StatePaths
    store: Store
    parts: ResolvedParts
    progress: Callable[[str], None]
    who: str  # recorded as the actor of deployment changes
    _targets: TargetContext | None = None

    @property
    def targets(self) -> TargetContext:
        """Deployment targets and the artifact store (``nerspec.deploy.targets.TargetContext``)."""
        if self._targets is None:
            from nerspec.deploy.targets import TargetContext

            self._targets = TargetContext(self.paths, self.store)
        return self._targets
